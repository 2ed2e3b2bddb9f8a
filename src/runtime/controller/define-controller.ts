import type { Pointer } from '../resource/pointer.js';
import type { ExternalSource } from './external-source.js';
import type { ControllerInput, ControllerOutput, QControllerInput } from './inputs.js';
import type { QReconcileContext, ReconcileContext, ReconcileResult } from './reconcile-context.js';

/** What a reconcile returns, sync or async: nothing, or a {@link ReconcileResult}. */
// biome-ignore lint/suspicious/noConfusingVoidType: an async reconcile that returns nothing is a Promise<void>.
export type ReconcileReturn = void | ReconcileResult | Promise<void | ReconcileResult>;

/** What `defineController` takes. */
export interface ControllerOptions {
  /** Unique within a runtime; also the owner of every resource the controller writes. */
  name: string;
  inputs: readonly ControllerInput[];
  outputs: readonly ControllerOutput[];
  /** Changes from outside the state that wake the controller as an input change does. */
  sources?: readonly ExternalSource[];
  /**
   * Reads inputs and writes outputs; runs once after start and again after input changes.
   * A throw or a rejected promise is logged and retried with backoff.
   */
  reconcile(ctx: ReconcileContext): ReconcileReturn;
}

/** A full-reconcile controller: an inert declaration to hand to `runtime.register`. */
export interface ControllerDefinition extends Readonly<ControllerOptions> {
  readonly controllerType: 'full';
}

/** What `defineQController` takes. */
export interface QControllerOptions {
  /** Unique within a runtime; also the owner of every resource the controller writes. */
  name: string;
  inputs: readonly QControllerInput[];
  outputs: readonly ControllerOutput[];
  /** Changes from outside the state: each emission queues every primary item again. */
  sources?: readonly ExternalSource[];
  /** How many items run at once (default 1); one item never runs concurrently with itself. */
  concurrency?: number;
  /** Reconciles one primary item; a throw retries that item alone with backoff. */
  reconcile(ctx: QReconcileContext, pointer: Pointer): ReconcileReturn;
}

/** A queue controller: an inert declaration to hand to `runtime.register`. */
export interface QControllerDefinition extends Readonly<QControllerOptions> {
  readonly controllerType: 'queue';
}

/** Either kind of controller. */
export type AnyControllerDefinition = ControllerDefinition | QControllerDefinition;

/**
 * Declares a full-reconcile controller: `reconcile(ctx)` runs once after start and again whenever an
 * input changes; changes during a run coalesce into one more run.
 *
 * @example
 * ```ts
 * const IntToStr = defineController({
 *   name: 'IntToStrController',
 *   inputs: [input.strong(Ints), input.destroyReady(Strs)],
 *   outputs: [output.exclusive(Strs)],
 *   async reconcile(ctx) {
 *     ctx.trackOutputs();
 *     for (const i of await ctx.list(Ints.kind())) {
 *       await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
 *         d.spec.value = String(i.spec.value);
 *       });
 *     }
 *     await ctx.cleanupOutputs(Strs.kind());
 *   },
 * });
 * ```
 * @remarks The definition is checked when registered: a duplicate name, a second exclusive writer
 * or an input declared twice make `register` throw.
 */
export function defineController(options: ControllerOptions): ControllerDefinition {
  return Object.freeze({ ...options, controllerType: 'full' as const });
}

/**
 * Declares a queue controller: every changed primary resource (or what a mapped input maps to) is
 * queued by pointer, deduplicated, never processed concurrently with itself, and retried alone.
 *
 * @example
 * ```ts
 * const Pinger = defineQController({
 *   name: 'PingController',
 *   inputs: [input.primary(Targets)],
 *   outputs: [output.exclusive(PingStatuses)],
 *   concurrency: 4,
 *   async reconcile(ctx, pointer) {
 *     // ...
 *     return ctx.requeueAfter(30_000);
 *   },
 * });
 * ```
 */
export function defineQController(options: QControllerOptions): QControllerDefinition {
  return Object.freeze({ ...options, controllerType: 'queue' as const });
}

/** Reads a reconcile's return value: a requeue delay, or `undefined`. @internal */
export function requeueDelay(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const ms = (result as { requeueAfter?: unknown }).requeueAfter;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
