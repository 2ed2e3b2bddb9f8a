import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { Phase } from '../resource/metadata.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import type { ResourceRecipe, TransactionResult } from '../state/state.js';
import type { ControllerInput, QControllerInput } from './inputs.js';
import type { ReadContext } from './read-context.js';

/** What a reconcile may return: nothing (wait for the next change) or `ctx.requeueAfter(ms)`. */
export interface ReconcileResult {
  /** Run again after this many milliseconds of the runtime's clock, even without a change. */
  readonly requeueAfter: number;
}

/** Options of `ctx.update` and `ctx.modify`. */
export interface WriteOptions {
  /** The phase the stored resource must be in; `'running'` by default, `'any'` accepts both. */
  expectedPhase?: Phase | 'any';
}

/**
 * One write of `ctx.transaction`: the same writes as the single methods, with the same access
 * rules. A finalizer op names the resource as read, and fails with a `ConflictError` if it changed
 * since (so a batch never holds an input whose data it did not see).
 */
export type ContextOp =
  | { readonly op: 'create'; readonly resource: AnyResource }
  | { readonly op: 'update'; readonly resource: AnyResource; readonly expectedPhase?: Phase | 'any' }
  | { readonly op: 'destroy'; readonly pointer: Pointer }
  | {
      readonly op: 'addFinalizer' | 'removeFinalizer';
      readonly resource: AnyResource;
      readonly finalizers: readonly string[];
    };

/**
 * What `reconcile(ctx)` receives: access-checked reads and writes, output tracking, requeue,
 * a logger and an abort signal.
 *
 * @remarks Writes are owned by the controller. Reads go straight to the state, so a controller
 * always reads its own writes.
 */
export interface ReconcileContext extends ReadContext {
  /** Creates an output resource owned by this controller. */
  create<TRes extends AnyResource>(resource: TRes): Promise<TRes>;
  /** Updates an output resource owned by this controller (version-checked). */
  update<TRes extends AnyResource>(resource: TRes, options?: WriteOptions): Promise<TRes>;
  /** Creates from the template or edits the stored resource; an unchanged draft writes nothing. */
  modify<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    template: Resource<TDef>,
    fn: ResourceRecipe<TDef>,
    options?: WriteOptions,
  ): Promise<Resource<TDef>>;
  /** Moves an owned output to `tearingDown`; resolves `true` when no finalizers remain. */
  teardown(pointer: Pointer): Promise<boolean>;
  /** Destroys an owned output (refused while finalizers remain). */
  destroy(pointer: Pointer): Promise<void>;
  /**
   * Tears an owned output down and destroys it if no finalizers remain, without waiting: resolves
   * `true` when it is gone, `false` while finalizers hold it (declare the type as a `destroyReady`
   * input to run again when it can go).
   */
  teardownAndDestroy(pointer: Pointer): Promise<boolean>;
  /** Adds finalizers to a strong (or queue primary/mapped) input; the edit's own event does not wake the controller. */
  addFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void>;
  /** Removes finalizers from a strong (or queue primary/mapped) input; a missing resource is a no-op. */
  removeFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void>;
  /**
   * Applies several writes in one state transaction, all or none, each checked as its single
   * method would be (outputs owned by the controller, finalizers on strong inputs). Resolves the
   * stored results in op order (`null` for a destroy; a finalizer op that changes nothing returns
   * the resource as given and writes nothing). Any failing op throws its error and nothing changes.
   * As with the single methods, the events of its own finalizer edits do not wake the controller.
   */
  transaction(ops: readonly ContextOp[]): Promise<TransactionResult[]>;
  /**
   * State this controller keeps between its runs in this runtime only: made by `init` on first use,
   * then the same value every run. A definition stays an inert value: another runtime (a second
   * store, a restart) starts cold with its own.
   */
  local<T>(init: () => T): T;
  /** Starts recording every output written from now on, for `cleanupOutputs`. */
  trackOutputs(): void;
  /**
   * Tears down and destroys every owned output of the kinds (default: every output type in its
   * default namespace) not written since `trackOutputs()`; outputs held by finalizers go later.
   */
  cleanupOutputs(...kinds: Kind[]): Promise<void>;
  /** The result that asks for another run after `ms` milliseconds: `return ctx.requeueAfter(5_000)`. */
  requeueAfter(ms: number): ReconcileResult;
  /** Replaces the controller's inputs (checked as at registration); new kinds are watched. */
  updateInputs(inputs: readonly ControllerInput[]): void;
}

/** What a queue controller's `reconcile(ctx, pointer)` receives. */
export interface QReconcileContext extends Omit<ReconcileContext, 'updateInputs'> {
  /** Replaces the controller's inputs (checked as at registration); new primary kinds are listed. */
  updateInputs(inputs: readonly QControllerInput[]): void;
}
