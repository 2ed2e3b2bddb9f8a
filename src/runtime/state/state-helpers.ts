import { createDraft, type Draft, finishDraft } from 'immer';
import type { Subscription } from 'rxjs';
import {
  ConflictError,
  isConflictError,
  isNotFoundError,
  OwnerConflictError,
  PhaseConflictError,
} from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { equalResources } from '../resource/equality.js';
import type { Pointer } from '../resource/pointer.js';
import { pointerOf } from '../resource/pointer.js';
import { isTombstone, type Resource } from '../resource/resource.js';
import type {
  CoreState,
  OwnerOptions,
  ResourceRecipe,
  State,
  UpdateOptions,
  WatchForConditions,
} from './state.js';
import type { ResourceEvent } from './watch-event.js';

/** How many times `updateWithConflicts` retries a version conflict before giving up. */
const maxConflictRetries = 1_000;

async function applyRecipe<TDef extends AnyResourceDefinition>(
  base: Resource<TDef>,
  fn: ResourceRecipe<TDef>,
): Promise<Resource<TDef>> {
  const draft = createDraft(base) as Draft<Resource<TDef>>;
  await fn(draft);
  return finishDraft(draft) as Resource<TDef>;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('aborted', 'AbortError');
}

/**
 * Adds the contract's helpers to any backend, written once over its core operations.
 *
 * @remarks Backends implement {@link CoreState}; users get a {@link State}.
 */
export function withStateHelpers(core: CoreState): State {
  const state: State = {
    get: (p) => core.get(p),
    list: (k, o) => core.list(k, o),
    create: (r, o) => core.create(r, o),
    update: (r, o) => core.update(r, o),
    destroy: (p, o) => core.destroy(p, o),
    watch: (p, o) => core.watch(p, o),
    watchKind: (k, o) => core.watchKind(k, o),
    watchKindAggregated: (k, o) => core.watchKindAggregated(k, o),
    transaction: (ops) => core.transaction(ops),
    ...(core.delivered ? { delivered: () => core.delivered!() } : {}),
    ...(core.close ? { close: () => core.close!() } : {}),
    ...(core.definitions ? { definitions: core.definitions } : {}),
    ...(core.registerDefinition ? { registerDefinition: (d) => core.registerDefinition!(d) } : {}),

    async updateWithConflicts(pointer, fn, options: UpdateOptions = {}) {
      const expectedPhase = options.expectedPhase ?? 'running';
      for (let attempt = 0; ; attempt++) {
        const current = await core.get(pointer);
        if (expectedPhase !== 'any' && current.metadata.phase !== expectedPhase) {
          throw new PhaseConflictError(pointer, expectedPhase, current.metadata.phase);
        }
        const next = await applyRecipe(current, fn);
        if (next === current || equalResources(current, next)) return current;
        try {
          return await core.update(next, { owner: options.owner ?? '', expectedPhase });
        } catch (error) {
          const plainConflict = isConflictError(error) && error.code === 'Conflict';
          if (!plainConflict || attempt >= maxConflictRetries) throw error;
        }
      }
    },

    async modify(template, fn, options: UpdateOptions = {}) {
      const pointer = pointerOf(template);
      for (let attempt = 0; ; attempt++) {
        try {
          return (await state.updateWithConflicts(pointer as Pointer<never>, fn as never, options)) as never;
        } catch (error) {
          if (!isNotFoundError(error)) throw error;
        }
        const fresh = await applyRecipe(template, fn);
        try {
          return await core.create(fresh, { owner: options.owner ?? '' });
        } catch (error) {
          // Another caller created it first: apply the recipe to theirs, as an update.
          const lostRace = isConflictError(error) && error.code === 'Conflict';
          if (!lostRace || attempt >= maxConflictRetries) throw error;
        }
      }
    },

    async teardown(pointer, options: OwnerOptions = {}) {
      const owner = options.owner ?? '';
      for (let attempt = 0; ; attempt++) {
        const current = await core.get(pointer);
        const m = current.metadata;
        if (m.owner !== owner) throw new OwnerConflictError(pointer, owner, m.owner);
        if (m.phase === 'tearingDown') return m.finalizers.length === 0;
        // One metadata field changes: a copy with it, not an immer draft (a teardown wave is 10k of these).
        const next = { metadata: { ...m, phase: 'tearingDown' as const }, spec: current.spec };
        try {
          return (await core.update(next, { owner, expectedPhase: 'any' })).metadata.finalizers.length === 0;
        } catch (error) {
          const plainConflict = isConflictError(error) && error.code === 'Conflict';
          if (!plainConflict || attempt >= maxConflictRetries) throw error;
        }
      }
    },

    async addFinalizer(pointer, ...finalizers) {
      const current = await core.get(pointer);
      if (finalizers.every((f) => current.metadata.finalizers.includes(f))) return;
      await state.updateWithConflicts(
        pointer,
        (d) => {
          for (const f of finalizers) if (!d.metadata.finalizers.includes(f)) d.metadata.finalizers.push(f);
        },
        { owner: current.metadata.owner, expectedPhase: 'any' },
      );
    },

    async removeFinalizer(pointer, ...finalizers) {
      const current = await core.get(pointer);
      if (!finalizers.some((f) => current.metadata.finalizers.includes(f))) return;
      await state.updateWithConflicts(
        pointer,
        (d) => {
          d.metadata.finalizers = d.metadata.finalizers.filter((f) => !finalizers.includes(f));
        },
        { owner: current.metadata.owner, expectedPhase: 'any' },
      );
    },

    async teardownAndDestroy(pointer, options: OwnerOptions = {}) {
      const owner = options.owner ?? '';
      let torn: Resource;
      try {
        await state.teardown(pointer, { owner });
        torn = await core.get(pointer);
      } catch (error) {
        if (isNotFoundError(error)) return;
        throw error;
      }
      // A later generation of the id (destroyed and created again meanwhile) is not ours to destroy.
      const sameGeneration = (r: Resource) =>
        r.metadata.created === torn.metadata.created &&
        r.metadata.version >= torn.metadata.version &&
        r.metadata.phase === 'tearingDown';
      for (;;) {
        let current: Resource;
        try {
          current = await core.get(pointer);
        } catch (error) {
          if (isNotFoundError(error)) return;
          throw error;
        }
        if (!sameGeneration(current)) return;
        if (current.metadata.finalizers.length > 0) {
          const event = await firstMatchingEvent(
            core,
            pointer,
            (e) =>
              e.type === 'destroyed' ||
              !sameGeneration(e.resource) ||
              e.resource.metadata.finalizers.length === 0,
            undefined,
          );
          if (event.type === 'destroyed' || !sameGeneration(event.resource)) return;
          // Events can lag the store: look at the stored value again before destroying.
          continue;
        }
        try {
          await core.destroy(pointer, { owner });
          return;
        } catch (error) {
          if (isNotFoundError(error)) return;
          // Finalizers came back between the read and the destroy: wait again.
          if (isConflictError(error) && error.code === 'Conflict') continue;
          throw error;
        }
      }
    },

    watchFor(pointer, conditions, options = {}) {
      return watchFor(core, pointer, conditions, options.signal);
    },

    signalWithTeardown(pointer, options = {}) {
      const controller = new AbortController();
      const parent = options.signal;
      let subscription: Subscription | undefined;
      const onParentAbort = () => abort(abortError(parent!));
      // Whoever aborts first, the watch ends and the parent keeps no listener of ours.
      const abort = (reason: unknown) => {
        if (controller.signal.aborted) return;
        parent?.removeEventListener('abort', onParentAbort);
        subscription?.unsubscribe();
        controller.abort(reason);
      };
      if (parent?.aborted) {
        abort(abortError(parent));
        return controller.signal;
      }
      parent?.addEventListener('abort', onParentAbort, { once: true });
      subscription = core.watch(pointer).subscribe({
        next(event) {
          if (event.type === 'destroyed') abort(new ConflictError(pointer, 'resource is gone'));
          else if (
            (event.type === 'created' || event.type === 'updated') &&
            event.resource.metadata.phase === 'tearingDown'
          ) {
            abort(new ConflictError(pointer, 'resource is tearing down'));
          }
        },
        error: (error: unknown) => abort(error),
      });
      if (controller.signal.aborted) subscription.unsubscribe();
      return controller.signal;
    },
  };
  return state;
}

/** The first resource of `watch(pointer)` that satisfies every condition. */
async function watchFor<TDef extends AnyResourceDefinition>(
  core: CoreState,
  pointer: Pointer<TDef>,
  conditions: WatchForConditions<TDef>,
  signal: AbortSignal | undefined,
): Promise<Resource<TDef>> {
  const event = await firstMatchingEvent(
    core,
    pointer,
    async (e) => {
      const resource = e.resource;
      if (conditions.eventTypes && !conditions.eventTypes.includes(e.type)) return false;
      if (conditions.phases && !conditions.phases.includes(resource.metadata.phase)) return false;
      if (conditions.finalizersEmpty && (e.type === 'destroyed' || resource.metadata.finalizers.length > 0)) {
        return false;
      }
      if (conditions.condition === undefined) return true;
      return !isTombstone(resource) && (await conditions.condition(resource as Resource<TDef>));
    },
    signal,
  );
  return event.resource as Resource<TDef>;
}

/** The first resource event of `watch(pointer)` that `match` accepts; matches run in event order. */
function firstMatchingEvent<TDef extends AnyResourceDefinition>(
  core: CoreState,
  pointer: Pointer<TDef>,
  match: (event: ResourceEvent<TDef>) => boolean | Promise<boolean>,
  signal: AbortSignal | undefined,
): Promise<ResourceEvent<TDef>> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    let done = false;
    let checking = Promise.resolve();
    let subscription: Subscription | undefined;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      subscription?.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => finish(() => reject(abortError(signal!)));
    signal?.addEventListener('abort', onAbort, { once: true });
    subscription = core.watch(pointer).subscribe({
      next(event) {
        if (event.type !== 'created' && event.type !== 'updated' && event.type !== 'destroyed') return;
        checking = checking.then(async () => {
          if (done) return;
          try {
            if (await match(event)) finish(() => resolve(event));
          } catch (error) {
            finish(() => reject(error));
          }
        });
      },
      error: (error: unknown) => finish(() => reject(error)),
      complete: () => finish(() => reject(new Error(`watch of ${pointer.type} ended`))),
    });
    if (done) subscription.unsubscribe();
  });
}
