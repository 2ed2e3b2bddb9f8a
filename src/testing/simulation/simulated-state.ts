import { Observable, type Subscriber } from 'rxjs';
import { ConflictError, OverrunError } from '../../runtime/errors.js';
import { formatPointer, type Kind, type Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import type {
  CoreState,
  CreateOptions,
  ListOptions,
  OwnerOptions,
  TransactionOp,
  TransactionResult,
  UpdateOptions,
  WatchKindOptions,
  WatchOptions,
} from '../../runtime/state/state.js';
import type { Choices } from './seeded-random.js';
import type { TaskScheduler } from './sim-scheduler.js';

/** Fault rates the simulated state applies, read at every decision (they change between phases). */
export interface StateFaultRates {
  /** Probability that an update (or a transaction with an update) fails with a version conflict. */
  writeConflict: number;
  /** Probability that a watch delivery is replaced by a buffer overrun error. */
  watchOverrun: number;
}

/** Something the simulated state did that a trace should show (calls show as the scheduler's tasks). */
interface StateTraceEntry {
  readonly kind: 'fault' | 'delivery';
  readonly label: string;
}

/** Options of {@link createSimulatedState}. */
export interface SimulatedStateOptions {
  /** Where each call and watch delivery waits until the simulation releases it. */
  scheduler: TaskScheduler;
  /** Decides the faults and how many queued events one delivery hands over. */
  choices: Choices;
  /** Current fault rates; none when omitted. */
  faults?: () => StateFaultRates;
  /** Sees every injected fault and delivery. */
  trace?: (entry: StateTraceEntry) => void;
}

/** A {@link CoreState} whose calls and watch deliveries are released in the simulation's order. */
export interface SimulatedState extends CoreState {
  /**
   * Kills this view, as if its process died: calls in flight never settle, nothing more is delivered
   * and new calls hang. The state underneath is untouched.
   */
  kill(): void;
  /** True until {@link SimulatedState.kill}. */
  readonly alive: boolean;
  /** Subscriptions open through this view. */
  openWatches(): number;
}

const noFaults: StateFaultRates = { writeConflict: 0, watchOverrun: 0 };

type Queued<T> = { value: T } | { error: unknown } | { complete: true };

/**
 * Wraps any {@link CoreState}: every call completes only when the scheduler runs it, and every watch
 * event waits in a per-subscription queue released by scheduled deliveries (so each subscription
 * keeps the store's per-kind order while subscriptions lag each other). Updates may fail with an
 * injected conflict and deliveries with an injected overrun, at the rates given.
 */
export function createSimulatedState(inner: CoreState, options: SimulatedStateOptions): SimulatedState {
  const { scheduler, choices, trace } = options;
  const faults = options.faults ?? (() => noFaults);
  let alive = true;
  const subscriptions = new Set<{ close(): void; queued(): number }>();
  let deliveredWaiters: (() => void)[] = [];

  const call = <T>(label: string, run: () => Promise<T>, conflictOn?: Pointer): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!alive) return;
      scheduler.schedule({
        label,
        run: () => {
          if (!alive) return;
          if (conflictOn !== undefined && choices.chance(faults().writeConflict, 'conflict', label)) {
            trace?.({ kind: 'fault', label: `write conflict on ${label}` });
            const { namespace, type, id } = conflictOn;
            reject(
              new ConflictError({ namespace, type, id }, 'version conflict (injected by the simulation)'),
            );
            return;
          }
          run().then(resolve, reject);
        },
      });
    });

  const checkDelivered = () => {
    if (deliveredWaiters.length === 0) return;
    for (const s of subscriptions) if (s.queued() > 0) return;
    const waiters = deliveredWaiters;
    deliveredWaiters = [];
    for (const w of waiters) w();
  };

  /** Re-emits `source` through a queue that scheduled deliveries drain. */
  const relay = <T>(
    label: string,
    subject: { namespace: string; type: string },
    source: Observable<T>,
    merge: ((items: T[]) => T) | undefined,
  ): Observable<T> =>
    new Observable<T>((subscriber: Subscriber<T>) => {
      if (!alive) return;
      const queue: Queued<T>[] = [];
      let scheduled = false;
      let closed = false;
      const entry = {
        close: () => {
          closed = true;
          queue.length = 0;
          innerSubscription?.unsubscribe();
          subscriptions.delete(entry);
        },
        queued: () => queue.length,
      };
      const deliver = () => {
        scheduled = false;
        if (closed || !alive || queue.length === 0) return;
        if (choices.chance(faults().watchOverrun, 'overrun', label)) {
          trace?.({ kind: 'fault', label: `overrun of ${label}` });
          entry.close();
          subscriber.error(new OverrunError(subject, 'injected by the simulation'));
          checkDelivered();
          return;
        }
        // Choice 0 hands over everything queued, as the in-memory store does; others split it.
        const count = queue.length - choices.int(queue.length, 'split', label);
        const batch = queue.splice(0, count);
        trace?.({ kind: 'delivery', label: `${label} (${batch.length})` });
        const values: T[] = [];
        for (const item of batch) {
          if ('value' in item) {
            if (merge === undefined) subscriber.next(item.value);
            else values.push(item.value);
            continue;
          }
          if (merge !== undefined && values.length > 0) subscriber.next(merge(values.splice(0)));
          entry.close();
          if ('error' in item) subscriber.error(item.error);
          else subscriber.complete();
          checkDelivered();
          return;
        }
        if (merge !== undefined && values.length > 0) subscriber.next(merge(values));
        if (queue.length > 0) schedule();
        checkDelivered();
      };
      const schedule = () => {
        if (scheduled || closed) return;
        scheduled = true;
        scheduler.schedule({ label: `deliver ${label}`, run: deliver });
      };
      const push = (item: Queued<T>) => {
        if (closed || !alive) return;
        queue.push(item);
        schedule();
      };
      subscriptions.add(entry);
      const innerSubscription = source.subscribe({
        next: (value) => push({ value }),
        error: (error: unknown) => push({ error }),
        complete: () => push({ complete: true }),
      });
      return () => entry.close();
    });

  const kindLabel = (kind: Kind) => formatPointer({ namespace: kind.namespace, type: kind.type });

  const state: SimulatedState = {
    get: (pointer) => call(`state.get ${formatPointer(pointer)}`, () => inner.get(pointer)),
    list: (kind, listOptions?: ListOptions) =>
      call(`state.list ${kindLabel(kind)}`, () => inner.list(kind, listOptions)),
    create: <TRes extends AnyResource>(resource: TRes, createOptions?: CreateOptions) =>
      call(`state.create ${formatPointer(resource.metadata)}`, () => inner.create(resource, createOptions)),
    update: <TRes extends AnyResource>(resource: TRes, updateOptions?: UpdateOptions) =>
      call(
        `state.update ${formatPointer(resource.metadata)}`,
        () => inner.update(resource, updateOptions),
        resource.metadata,
      ),
    destroy: (pointer: Pointer, ownerOptions?: OwnerOptions) =>
      call(`state.destroy ${formatPointer(pointer)}`, () => inner.destroy(pointer, ownerOptions)),
    transaction: (ops: readonly TransactionOp[]): Promise<TransactionResult[]> => {
      const update = ops.find((op) => op.op === 'update');
      return call(
        `state.transaction (${ops.length} ops)`,
        () => inner.transaction(ops),
        update?.op === 'update' ? update.resource.metadata : undefined,
      );
    },
    watch: (pointer, watchOptions?: WatchOptions) =>
      relay(`watch ${formatPointer(pointer)}`, pointer, inner.watch(pointer, watchOptions), undefined),
    watchKind: (kind, watchOptions?: WatchKindOptions) =>
      relay(`watchKind ${kindLabel(kind)}`, kind, inner.watchKind(kind, watchOptions), undefined),
    watchKindAggregated: (kind, watchOptions?: WatchKindOptions) =>
      relay(
        `watchKindAggregated ${kindLabel(kind)}`,
        kind,
        inner.watchKindAggregated(kind, watchOptions),
        (batches) => batches.flat(),
      ),
    delivered: async () => {
      await inner.delivered?.();
      if ([...subscriptions].every((s) => s.queued() === 0)) return;
      await new Promise<void>((resolve) => deliveredWaiters.push(resolve));
    },
    kill() {
      alive = false;
      for (const s of [...subscriptions]) s.close();
      deliveredWaiters = [];
    },
    get alive() {
      return alive;
    },
    openWatches: () => subscriptions.size,
  };
  return state;
}
