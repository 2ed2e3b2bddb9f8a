import type { Logger } from 'pino';
import { isConflictError, isNotFoundError } from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { metadataWith, withFinalizer } from '../resource/metadata.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import { pointerOf } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import type { ListOptions, ResourceRecipe, State, TransactionOp, TransactionResult } from '../state/state.js';
import type { AccessPolicy } from './access-policy.js';
import type { AnyInput, ControllerOutput } from './inputs.js';
import type { TokenBucket } from './rate-limit.js';
import type { ContextOp, ReconcileContext, ReconcileResult, WriteOptions } from './reconcile-context.js';

/** How often a finalizer edit retries a version conflict before giving up. */
const maxConflictRetries = 1_000;

/** What a context needs from the runtime. @internal */
export interface ContextHost {
  readonly state: State;
  readonly controller: string;
  readonly outputs: () => readonly ControllerOutput[];
  readonly policy: () => AccessPolicy;
  readonly limiter: TokenBucket | undefined;
  readonly logger: Logger;
  updateInputs(inputs: readonly AnyInput[]): void;
  /** The runner's slot for `ctx.local`, made when it was registered. */
  readonly local: { value?: unknown; made: boolean };
  /** The runner's own finalizer writes of these ids begin: their events need not wake it (see Runner). */
  beginOwnWrites?(targets: readonly Pointer[]): (stored: readonly (AnyResource | null)[] | undefined) => void;
}

/** The context of one reconcile (or one map call). @internal */
export class Context implements ReconcileContext {
  readonly #host: ContextHost;
  readonly #bindings: Record<string, unknown>;
  #log: Logger | undefined;
  #tracked: Set<string> | undefined;
  readonly #abort: { readonly signal: AbortSignal };

  constructor(host: ContextHost, abort: { readonly signal: AbortSignal }, bindings: Record<string, unknown>) {
    this.#host = host;
    this.#abort = abort;
    this.#bindings = bindings;
  }

  /** Aborted when the run is cancelled; made on first use (see `LazyAbort`). */
  get signal(): AbortSignal {
    return this.#abort.signal;
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

  create<TRes extends AnyResource>(resource: TRes): Promise<TRes> {
    return this.#write(
      (policy) => policy.checkWrite(resource?.metadata),
      (state, owner) => state.create(resource, { owner }),
      (stored) => this.#track(stored),
    );
  }

  update<TRes extends AnyResource>(resource: TRes, options: WriteOptions = {}): Promise<TRes> {
    return this.#write(
      (policy) => policy.checkWrite(resource?.metadata),
      (state, owner) => state.update(resource, { owner, expectedPhase: options.expectedPhase ?? 'running' }),
      (stored) => this.#track(stored),
    );
  }

  modify<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    template: Resource<TDef>,
    fn: ResourceRecipe<TDef>,
    options: WriteOptions = {},
  ): Promise<Resource<TDef>> {
    return this.#write(
      (policy) => policy.checkWrite(template?.metadata),
      (state, owner) =>
        state.modify(template, fn, { owner, expectedPhase: options.expectedPhase ?? 'running' }),
      (stored) => this.#track(stored),
    );
  }

  teardown(pointer: Pointer): Promise<boolean> {
    return this.#write(
      (policy) => policy.checkWrite(pointer),
      (state, owner) => state.teardown(pointer, { owner }),
    );
  }

  destroy(pointer: Pointer): Promise<void> {
    return this.#write(
      (policy) => policy.checkWrite(pointer),
      (state, owner) => state.destroy(pointer, { owner }),
    );
  }

  teardownAndDestroy(pointer: Pointer): Promise<boolean> {
    return this.#write(
      (policy) => policy.checkWrite(pointer),
      async (state, owner) => {
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
      },
    );
  }

  addFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void> {
    return this.#write(
      (policy) => policy.checkFinalizers(pointer),
      () => this.#editFinalizers(pointer, (current) => addedFinalizers(current, finalizers)),
    );
  }

  removeFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void> {
    return this.#write(
      (policy) => policy.checkFinalizers(pointer),
      async () => {
        try {
          await this.#editFinalizers(pointer, (current) => removedFinalizers(current, finalizers));
        } catch (error) {
          if (!isNotFoundError(error)) throw error;
        }
      },
    );
  }

  async transaction(ops: readonly ContextOp[]): Promise<TransactionResult[]> {
    if (!Array.isArray(ops)) throw new TypeError('ctx.transaction: ops must be an array');
    const owner = this.#host.controller;
    const policy = this.#host.policy();
    // Every op is checked before anything is written: a refused op leaves the state untouched.
    const planned = ops.map((op) => planOp(op, policy, owner));
    const writes: StateWrite[] = [];
    for (const p of planned) if (p.write !== undefined) writes.push(p.write);
    for (let i = 0; i < writes.length; i++) await this.#limit();
    if (writes.length === 0) return planned.map((p) => p.unchanged!);
    // The controller knows what it writes on its inputs: those events alone are no reason to run again.
    const held = planned.filter((p) => p.write !== undefined && p.finalizerEdit).map((p) => p.write!);
    const done = held.length > 0 ? this.#host.beginOwnWrites?.(held.map(targetOf)) : undefined;
    let stored: TransactionResult[];
    try {
      stored = await this.#host.state.transaction(writes);
    } catch (error) {
      done?.(undefined);
      throw error;
    }
    let next = 0;
    const heldStored: TransactionResult[] = [];
    const results = planned.map((p) => {
      if (p.write === undefined) return p.unchanged;
      const result = stored[next++]!;
      if (p.finalizerEdit) heldStored.push(result);
      else if (result !== null) this.#track(result);
      return result;
    });
    done?.(heldStored);
    return results;
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
      const edited = edit(current.metadata.finalizers);
      if (edited === undefined) return;
      // The controller knows what it writes on its input: that event alone is no reason to run again.
      const done = this.#host.beginOwnWrites?.([pointerOf(current)]);
      try {
        const stored = await state.transaction([finalizerUpdate(current, edited)]);
        done?.(stored);
        return;
      } catch (error) {
        done?.(undefined);
        if (!(isConflictError(error) && error.code === 'Conflict') || attempt >= maxConflictRetries)
          throw error;
      }
    }
  }

  local<T>(init: () => T): T {
    const slot = this.#host.local;
    if (!slot.made) {
      slot.value = init();
      slot.made = true;
    }
    return slot.value as T;
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

  /** Every single write: check access, wait for the rate limit, call the state, track what it stored. */
  async #write<T>(
    check: (policy: AccessPolicy) => void,
    call: (state: State, owner: string) => Promise<T>,
    track?: (stored: T) => void,
  ): Promise<T> {
    check(this.#host.policy());
    await this.#limit();
    const stored = await call(this.#host.state, this.#host.controller);
    track?.(stored);
    return stored;
  }

  #track(r: AnyResource): void {
    const m = r.metadata;
    this.#tracked?.add(`${m.namespace}\0${m.type}\0${m.id}`);
  }

  #limit(): Promise<void> | undefined {
    return this.#host.limiter?.take(this.signal);
  }
}

type StateWrite = TransactionOp;

/** One op of `ctx.transaction`, checked: what to write, or what to return without writing. */
type PlannedOp =
  | { readonly write: StateWrite; readonly finalizerEdit: boolean; readonly unchanged?: undefined }
  | { readonly write: undefined; readonly finalizerEdit: true; readonly unchanged: AnyResource };

/** The pointer a state write is about. */
function targetOf(write: StateWrite): Pointer {
  return write.op === 'destroy' ? write.pointer : pointerOf(write.resource);
}

/** Checks one op as its single method would and turns it into a state transaction op. */
function planOp(op: ContextOp, policy: AccessPolicy, owner: string): PlannedOp {
  switch (op?.op) {
    case 'create':
      policy.checkWrite(op.resource?.metadata);
      return { write: { op: 'create', resource: op.resource, owner }, finalizerEdit: false };
    case 'update':
      policy.checkWrite(op.resource?.metadata);
      return {
        write: { op: 'update', resource: op.resource, owner, expectedPhase: op.expectedPhase ?? 'running' },
        finalizerEdit: false,
      };
    case 'destroy':
      policy.checkWrite(op.pointer);
      return { write: { op: 'destroy', pointer: op.pointer, owner }, finalizerEdit: false };
    case 'addFinalizer':
    case 'removeFinalizer': {
      policy.checkFinalizers(op.resource?.metadata);
      const current = op.resource.metadata.finalizers;
      const edited =
        op.op === 'addFinalizer'
          ? addedFinalizers(current, op.finalizers)
          : removedFinalizers(current, op.finalizers);
      if (edited === undefined) return { write: undefined, finalizerEdit: true, unchanged: op.resource };
      return { write: finalizerUpdate(op.resource, edited), finalizerEdit: true };
    }
    default:
      throw new TypeError(
        `ctx.transaction: unknown op ${JSON.stringify((op as { op?: unknown } | undefined)?.op)} (use create, update, destroy, addFinalizer or removeFinalizer)`,
      );
  }
}

/** The finalizers with `finalizers` added, or `undefined` when all are there already. */
function addedFinalizers(
  current: readonly string[],
  finalizers: readonly string[],
): readonly string[] | undefined {
  const missing = finalizers.filter((f, i) => !current.includes(f) && finalizers.indexOf(f) === i);
  if (missing.length === 0) return undefined;
  // Mostly one finalizer: a frozen list the store keeps as is (and shares while it is the only one).
  return missing.length === 1 ? withFinalizer(current, missing[0]!) : Object.freeze([...current, ...missing]);
}

/** The finalizers without `finalizers`, or `undefined` when none of them is there. */
function removedFinalizers(
  current: readonly string[],
  finalizers: readonly string[],
): readonly string[] | undefined {
  return current.some((f) => finalizers.includes(f))
    ? current.filter((f) => !finalizers.includes(f))
    : undefined;
}

/**
 * The version-checked write of new finalizers onto the resource as read (any owner, any phase);
 * `expectedCreated`: the version alone cannot tell the value read from a later generation of its id
 * (destroyed and created again restarts at version 1), and this must never write onto that one.
 */
function finalizerUpdate(current: AnyResource, finalizers: readonly string[]): StateWrite {
  const m = current.metadata;
  return {
    op: 'update',
    resource: {
      metadata: metadataWith(m, {
        finalizers: Object.isFrozen(finalizers) ? finalizers : Object.freeze([...finalizers]),
      }),
      spec: current.spec,
    },
    owner: m.owner,
    expectedPhase: 'any',
    expectedCreated: m.created,
  };
}
