import type { Logger } from 'pino';
import { isConflictError, isNotFoundError } from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { metadataWith, type Phase, withFinalizer } from '../resource/metadata.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import { pointerOf } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import type { ListOptions, ResourceRecipe, State, TransactionOp, TransactionResult } from '../state/state.js';
import type { AccessPolicy } from './access-policy.js';
import type { ReconcileResult } from './define-controller.js';
import type { AnyInput, ControllerInput, ControllerOutput, QControllerInput } from './inputs.js';
import type { TokenBucket } from './rate-limit.js';

/** How often a finalizer edit retries a version conflict before giving up. */
const maxConflictRetries = 1_000;

/** Options of `ctx.update` and `ctx.modify`. */
export interface WriteOptions {
  /** The phase the stored resource must be in; `'running'` by default, `'any'` accepts both. */
  expectedPhase?: Phase | 'any';
}

/** The reads a controller may do: declared inputs and outputs only, straight from the state. */
export interface ReadContext {
  /** The controller's name (also the owner of what it writes). */
  readonly controller: string;
  /** A pino child logger: `{ controller }`, then `{ reconcile, attempt }` (and `resource` for queue items). */
  readonly log: Logger;
  /** Aborted when the runtime stops, and for queue items when the item tears down or is destroyed. */
  readonly signal: AbortSignal;
  /** The stored resource; `NotFoundError` if absent, `AccessError` if not an input or output. */
  get<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
  ): Promise<Resource<TDef>>;
  /** The resources of a kind, sorted by id; `AccessError` unless an input of every id, or an output. */
  list<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: ListOptions,
  ): Promise<readonly Resource<TDef>[]>;
}

/** What a mapped input's `map` receives next to the resource. */
export type MapContext = ReadContext;

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
  /** Adds finalizers to a strong (or queue primary/mapped) input. */
  addFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void>;
  /** Removes finalizers from a strong (or queue primary/mapped) input; a missing resource is a no-op. */
  removeFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void>;
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

/** What a context needs from the runtime. @internal */
export interface ContextHost {
  readonly state: State;
  readonly controller: string;
  readonly outputs: () => readonly ControllerOutput[];
  readonly policy: () => AccessPolicy;
  readonly limiter: TokenBucket | undefined;
  readonly logger: Logger;
  updateInputs(inputs: readonly AnyInput[]): void;
  /** This exact stored value was written by the runner's own bookkeeping: its event need not wake it. */
  acknowledge?(resource: AnyResource): void;
}

/** One input to hold with a finalizer and the output to create for it. @internal */
export interface HoldAndCreate {
  readonly held: AnyResource;
  readonly finalizer: string;
  readonly output: AnyResource;
}

/** The context of one reconcile (or one map call). @internal */
export class Context implements ReconcileContext {
  readonly #host: ContextHost;
  readonly #bindings: Record<string, unknown>;
  #log: Logger | undefined;
  #tracked: Set<string> | undefined;
  readonly signal: AbortSignal;

  constructor(host: ContextHost, signal: AbortSignal, bindings: Record<string, unknown>) {
    this.#host = host;
    this.signal = signal;
    this.#bindings = bindings;
  }

  get controller(): string {
    return this.#host.controller;
  }

  get log(): Logger {
    this.#log ??= this.#host.logger.child(this.#bindings);
    return this.#log;
  }

  get<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
  ): Promise<Resource<TDef>> {
    this.#host.policy().checkGet(pointer);
    return this.#host.state.get(pointer);
  }

  list<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: ListOptions,
  ): Promise<readonly Resource<TDef>[]> {
    this.#host.policy().checkList(kind);
    return this.#host.state.list(kind, options);
  }

  async create<TRes extends AnyResource>(resource: TRes): Promise<TRes> {
    this.#host.policy().checkWrite(resource?.metadata);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    const stored = await this.#host.state.create(resource, { owner: this.#host.controller });
    this.#track(stored);
    return stored;
  }

  async update<TRes extends AnyResource>(resource: TRes, options: WriteOptions = {}): Promise<TRes> {
    this.#host.policy().checkWrite(resource?.metadata);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    const stored = await this.#host.state.update(resource, {
      owner: this.#host.controller,
      expectedPhase: options.expectedPhase ?? 'running',
    });
    this.#track(stored);
    return stored;
  }

  async modify<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    template: Resource<TDef>,
    fn: ResourceRecipe<TDef>,
    options: WriteOptions = {},
  ): Promise<Resource<TDef>> {
    this.#host.policy().checkWrite(template?.metadata);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    const stored = await this.#host.state.modify(template, fn, {
      owner: this.#host.controller,
      expectedPhase: options.expectedPhase ?? 'running',
    });
    this.#track(stored);
    return stored;
  }

  async teardown(pointer: Pointer): Promise<boolean> {
    this.#host.policy().checkWrite(pointer);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    return this.#host.state.teardown(pointer, { owner: this.#host.controller });
  }

  async destroy(pointer: Pointer): Promise<void> {
    this.#host.policy().checkWrite(pointer);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    await this.#host.state.destroy(pointer, { owner: this.#host.controller });
  }

  async teardownAndDestroy(pointer: Pointer): Promise<boolean> {
    this.#host.policy().checkWrite(pointer);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    const { state, controller: owner } = this.#host;
    try {
      if (!(await state.teardown(pointer, { owner }))) return false;
      await state.destroy(pointer, { owner });
      return true;
    } catch (error) {
      if (isNotFoundError(error)) return true;
      // A finalizer arrived between the teardown and the destroy: it is not ready yet.
      if (isConflictError(error) && error.code === 'Conflict') return false;
      throw error;
    }
  }

  async addFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void> {
    this.#host.policy().checkFinalizers(pointer);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    await this.#editFinalizers(pointer, (current) => {
      const missing = finalizers.filter((f, i) => !current.includes(f) && finalizers.indexOf(f) === i);
      return missing.length === 0 ? undefined : [...current, ...missing];
    });
  }

  async removeFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void> {
    this.#host.policy().checkFinalizers(pointer);
    const wait = this.#limit();
    if (wait !== undefined) await wait;
    try {
      await this.#editFinalizers(pointer, (current) =>
        current.some((f) => finalizers.includes(f))
          ? current.filter((f) => !finalizers.includes(f))
          : undefined,
      );
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
  }

  /**
   * A version-checked read-modify-write of the finalizers (any owner, any phase), retried on a
   * version conflict; `edit` returns `undefined` when nothing changes, and then nothing is written.
   * Plain spreads, not an immer draft: this runs once per input per generic-controller run.
   */
  async #editFinalizers(
    pointer: Pointer,
    edit: (current: readonly string[]) => readonly string[] | undefined,
  ): Promise<void> {
    const { state } = this.#host;
    for (let attempt = 0; ; attempt++) {
      const current = await state.get(pointer);
      const m = current.metadata;
      const edited = edit(m.finalizers);
      if (edited === undefined) return;
      const finalizers = Object.freeze(edited);
      try {
        // A transaction for `expectedCreated`: never write this spec onto a later generation of the id.
        await state.transaction([
          {
            op: 'update',
            resource: { metadata: metadataWith(m, { finalizers }), spec: current.spec },
            owner: m.owner,
            expectedPhase: 'any',
            expectedCreated: m.created,
          },
        ]);
        return;
      } catch (error) {
        if (!(isConflictError(error) && error.code === 'Conflict') || attempt >= maxConflictRetries)
          throw error;
      }
    }
  }

  /**
   * Puts a finalizer on an input and creates an output in one transaction: the generic
   * controllers' first write for an input, one commit instead of a read and two writes. Resolves
   * `undefined` when the input changed meanwhile or the output exists, so the caller takes the
   * step-by-step path. @internal
   */
  async holdAndCreate<TRes extends AnyResource>(
    held: AnyResource,
    finalizer: string,
    output: TRes,
  ): Promise<TRes | undefined> {
    return (await this.holdAndCreateMany([{ held, finalizer, output }]))?.[0] as TRes | undefined;
  }

  /**
   * {@link holdAndCreate} for many inputs in one transaction (all or nothing): a generic controller
   * meeting a burst of new inputs commits them in batches instead of one by one. Resolves the
   * stored outputs in order, or `undefined` when any input changed meanwhile or any output exists;
   * the caller then takes the one-by-one path, which tells them apart. @internal
   */
  async holdAndCreateMany(items: readonly HoldAndCreate[]): Promise<AnyResource[] | undefined> {
    const policy = this.#host.policy();
    const owner = this.#host.controller;
    const ops: TransactionOp[] = [];
    for (const { held, finalizer, output } of items) {
      const m = held.metadata;
      policy.checkFinalizers(m);
      policy.checkWrite(output?.metadata);
      // The version alone cannot tell the listed input from a later generation of its id (destroyed
      // and created again restarts at version 1): `expectedCreated` refuses to write onto that one.
      ops.push(
        {
          op: 'update',
          resource: {
            metadata: metadataWith(m, { finalizers: withFinalizer(m.finalizers, finalizer) }),
            spec: held.spec,
          },
          owner: m.owner,
          expectedPhase: 'running',
          expectedCreated: m.created,
        },
        { op: 'create', resource: output, owner },
      );
    }
    for (let i = 0; i < ops.length; i++) {
      const wait = this.#limit();
      if (wait !== undefined) await wait;
    }
    let results: TransactionResult[];
    try {
      results = await this.#host.state.transaction(ops);
    } catch (error) {
      if (isConflictError(error) || isNotFoundError(error)) return undefined;
      throw error;
    }
    const outputs: AnyResource[] = [];
    for (let i = 0; i < results.length; i += 2) {
      // The caller knows its inputs now hold its finalizer: that change alone is no reason to run again.
      this.#host.acknowledge?.(results[i] as AnyResource);
      const stored = results[i + 1] as AnyResource;
      this.#track(stored);
      outputs.push(stored);
    }
    return outputs;
  }

  trackOutputs(): void {
    this.#tracked = new Set();
  }

  async cleanupOutputs(...kinds: Kind[]): Promise<void> {
    const tracked = this.#tracked;
    if (tracked === undefined) throw new Error('cleanupOutputs: call ctx.trackOutputs() first');
    const targets =
      kinds.length > 0
        ? kinds
        : this.#host.outputs().map((o) => ({ namespace: o.definition.defaultNamespace, type: o.type }));
    for (const kind of targets) {
      this.#host.policy().checkWrite(kind);
      for (const r of await this.#host.state.list(kind)) {
        const m = r.metadata;
        if (m.owner !== this.#host.controller || tracked.has(`${m.namespace}\0${m.type}\0${m.id}`)) continue;
        await this.teardownAndDestroy(pointerOf(r));
      }
    }
  }

  requeueAfter(ms: number): ReconcileResult {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`requeueAfter: ms must be a finite number >= 0, got ${String(ms)}`);
    }
    return Object.freeze({ requeueAfter: ms });
  }

  updateInputs(inputs: readonly AnyInput[]): void {
    this.#host.updateInputs(inputs);
  }

  #track(r: AnyResource): void {
    const m = r.metadata;
    this.#tracked?.add(`${m.namespace}\0${m.type}\0${m.id}`);
  }

  #limit(): Promise<void> | undefined {
    return this.#host.limiter?.take(this.signal);
  }
}
