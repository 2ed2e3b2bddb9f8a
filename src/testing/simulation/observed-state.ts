import { type Pointer, pointerOf } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import type { CoreState } from '../../runtime/state/state.js';

/** One write that reached the store. */
export interface WriteRecord {
  readonly op: 'create' | 'update' | 'destroy';
  readonly pointer: Pointer;
  /** The owner the writer claimed (`''` for users and for finalizer changes on user resources). */
  readonly owner: string;
  /** The stored resource (absent for destroys). */
  readonly resource?: AnyResource;
}

/** A store that reports every write that succeeded. */
export interface ObservedState extends CoreState {
  /** How many writes succeeded so far. */
  readonly writes: number;
}

/**
 * Wraps the store every view of a simulation shares, so invariants and the settle detector see each
 * successful write once, whoever made it.
 */
export function createObservedState(inner: CoreState, onWrite: (write: WriteRecord) => void): ObservedState {
  let writes = 0;
  const record = (write: WriteRecord) => {
    writes++;
    onWrite(write);
  };
  return {
    get: (p) => inner.get(p),
    list: (k, o) => inner.list(k, o),
    watch: (p, o) => inner.watch(p, o),
    watchKind: (k, o) => inner.watchKind(k, o),
    watchKindAggregated: (k, o) => inner.watchKindAggregated(k, o),
    ...(inner.delivered ? { delivered: () => inner.delivered!() } : {}),
    async create(resource, options) {
      const stored = await inner.create(resource, options);
      record({ op: 'create', pointer: pointerOf(stored), owner: options?.owner ?? '', resource: stored });
      return stored;
    },
    async update(resource, options) {
      const stored = await inner.update(resource, options);
      record({ op: 'update', pointer: pointerOf(stored), owner: options?.owner ?? '', resource: stored });
      return stored;
    },
    async destroy(pointer, options) {
      await inner.destroy(pointer, options);
      const { namespace, type, id } = pointer;
      record({ op: 'destroy', pointer: { namespace, type, id }, owner: options?.owner ?? '' });
    },
    async transaction(ops) {
      const results = await inner.transaction(ops);
      ops.forEach((op, i) => {
        const owner = op.owner ?? '';
        if (op.op === 'destroy') {
          const { namespace, type, id } = op.pointer;
          record({ op: 'destroy', pointer: { namespace, type, id }, owner });
        } else {
          const stored = results[i]!;
          record({ op: op.op, pointer: pointerOf(stored), owner, resource: stored });
        }
      });
      return results;
    },
    get writes() {
      return writes;
    },
  };
}
