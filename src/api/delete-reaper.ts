import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { isNotFoundError, undefinedIfNotFound } from '../runtime/errors.js';
import { defineResource } from '../runtime/resource/define-resource.js';
import { metaNamespace } from '../runtime/resource/meta.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import type { CoreState, TransactionOp } from '../runtime/state/state.js';
import { type FollowedKind, followKind } from './follow-kind.js';

/** The annotation a client's delete puts on a resource: who asked for it to be destroyed. */
export const deleteRequestedAnnotation = 'converge.dev/delete-requested-by';

/**
 * A delete a client asked for, kept in the store (the `meta` namespace) until the resource is
 * gone, so the server finishes it even if the client left or the server restarted meanwhile.
 */
export const DeleteRequests = defineResource({
  type: 'DeleteRequests.api.converge.dev',
  defaultNamespace: metaNamespace,
  spec: z.object({
    namespace: z.string(),
    type: z.string(),
    id: z.string(),
    /** The generation to destroy: a resource created again under the same id is left alone. */
    created: z.string(),
  }),
});

/** The owner of delete requests: only the server writes them. */
const reaperOwner = 'converge-api';

/** The id of the delete request of a resource. */
function requestId(p: { namespace: string; type: string; id: string }): string {
  return `${p.namespace}/${p.type}/${p.id}`;
}

/** What a delete answers: destroyed at once, or tearing down and waiting for these finalizers. */
type DeleteOutcome =
  | { readonly destroyed: true }
  | { readonly destroyed: false; readonly resource: AnyResource; readonly waitingFor: readonly string[] };

/**
 * Deletes a user-owned resource as a client asks to: tears it down, records the request, and
 * destroys it now if no finalizer holds it; otherwise the {@link DeleteReaper} destroys it as soon
 * as the last finalizer goes.
 */
export async function requestDelete(
  state: CoreState,
  pointer: { namespace: string; type: string; id: string },
  requestedBy: string,
  owner: string,
): Promise<DeleteOutcome> {
  for (let attempt = 0; ; attempt++) {
    const current = await state.get(pointer);
    const m = current.metadata;
    const ops: TransactionOp[] = [];
    if (m.phase !== 'tearingDown' || m.annotations[deleteRequestedAnnotation] === undefined) {
      const next = {
        spec: current.spec,
        metadata: {
          ...m,
          phase: 'tearingDown' as const,
          annotations: { ...m.annotations, [deleteRequestedAnnotation]: requestedBy },
        },
      } as AnyResource;
      ops.push({ op: 'update', resource: next, owner, expectedPhase: 'any' });
    }
    const request = DeleteRequests.make(requestId(m), {
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      created: m.created,
    });
    const existing = await undefinedIfNotFound(state.get(request.metadata));
    if (existing !== undefined && existing.spec.created !== m.created) {
      ops.push({ op: 'destroy', pointer: existing.metadata, owner: reaperOwner });
    }
    if (existing === undefined || existing.spec.created !== m.created) {
      ops.push({ op: 'create', resource: request, owner: reaperOwner });
    }
    try {
      const results = ops.length > 0 ? await state.transaction(ops) : [];
      const stored = (results[0] as AnyResource | null | undefined) ?? current;
      const torn = ops[0]?.op === 'update' ? stored : current;
      if (torn.metadata.finalizers.length > 0) {
        return { destroyed: false, resource: torn, waitingFor: torn.metadata.finalizers };
      }
      // The reaper may have finished it first: gone is what the client asked for.
      await destroyIfReady(state, request.spec, request.metadata.id).catch((error: unknown) => {
        if (!isNotFoundError(error)) throw error;
      });
      return { destroyed: true };
    } catch (error) {
      // Someone else wrote the resource between our read and write: read again.
      if (attempt < 5 && (error as { code?: string }).code === 'Conflict') continue;
      throw error;
    }
  }
}

/** Destroys the requested generation if it is tearing down without finalizers, then the request. */
async function destroyIfReady(
  state: CoreState,
  target: z.output<typeof DeleteRequests.spec>,
  id: string,
): Promise<boolean> {
  const current = await undefinedIfNotFound(state.get(target));
  const ops: TransactionOp[] = [];
  if (current !== undefined && current.metadata.created === target.created) {
    if (current.metadata.phase !== 'tearingDown' || current.metadata.finalizers.length > 0) return false;
    ops.push({ op: 'destroy', pointer: target, owner: current.metadata.owner });
  }
  ops.push({ op: 'destroy', pointer: DeleteRequests.pointer(id), owner: reaperOwner });
  await state.transaction(ops);
  return true;
}

/**
 * Finishes the deletes clients asked for: follows every {@link DeleteRequests} resource (from the
 * start, so requests recorded before a restart are finished too) and destroys its resource as soon
 * as it is tearing down with no finalizers left.
 */
export class DeleteReaper {
  readonly #state: CoreState;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #targets = new Map<string, Subscription>();
  #requests: FollowedKind | undefined;
  /** The retry of a failed target watch. */
  #retry: TimerHandle | undefined;
  #stopped = false;

  constructor(state: CoreState, logger: Logger, clock: Clock) {
    this.#state = state;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Starts following the delete requests. */
  start(): void {
    if (this.#stopped) return;
    this.#requests = followKind(
      this.#state,
      DeleteRequests.kind(),
      (event) => {
        if (event.type === 'created') this.#follow(event.resource.metadata.id, event.resource.spec);
        else if (event.type === 'destroyed') this.#unfollow(event.resource.metadata.id);
      },
      {
        clock: this.#clock,
        logger: this.#logger,
        failure: 'delete request watch failed; following again',
        // Following again from the start creates every request again.
        onFailure: () => {
          for (const id of [...this.#targets.keys()]) this.#unfollow(id);
        },
      },
    );
  }

  /** Watches one requested resource and destroys it once nothing holds it. */
  #follow(id: string, target: z.output<typeof DeleteRequests.spec>): void {
    if (this.#targets.has(id) || this.#stopped) return;
    const subscription = this.#state.watch(target).subscribe({
      next: (event) => {
        const r = event.type === 'destroyed' ? undefined : (event as { resource: AnyResource }).resource;
        const ready =
          r === undefined ||
          r.metadata.created !== target.created ||
          (r.metadata.phase === 'tearingDown' && r.metadata.finalizers.length === 0);
        if (!ready) return;
        destroyIfReady(this.#state, target, id).catch((error: unknown) => {
          if (!isNotFoundError(error))
            this.#logger.error({ err: error, request: id }, 'finishing a delete failed');
        });
      },
      error: (error: unknown) => {
        this.#logger.warn({ err: error, request: id }, 'delete target watch failed; following again');
        this.#targets.delete(id);
        this.#retry = this.#clock.setTimeout(() => this.#follow(id, target), 500);
      },
    });
    this.#targets.set(id, subscription);
  }

  #unfollow(id: string): void {
    this.#targets.get(id)?.unsubscribe();
    this.#targets.delete(id);
  }

  /** Stops following. */
  stop(): void {
    this.#stopped = true;
    this.#requests?.stop();
    for (const id of [...this.#targets.keys()]) this.#unfollow(id);
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
  }
}
