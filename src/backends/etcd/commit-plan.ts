import type { DefinitionLookup } from '../../runtime/resource/definition-registry.js';
import type { Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import type { TransactionOp, TransactionResult } from '../../runtime/state/state.js';
import { checkPointer, planCreate, planDestroy, planUpdate } from '../../runtime/state/write-plan.js';
import { checkEncodable, encodeRecord, encodeResource, type RecordedChange } from './codec.js';
import { createdInTransaction } from './generation-created.js';
import type { KeyLayout } from './keys.js';

/** What the store knows of one key before a commit: read from etcd, or assumed (cache, or absent for a create). */
export interface KeyState {
  readonly key: Buffer;
  readonly current: AnyResource | undefined;
  /** etcd's mod_revision of the key; 0 when absent. The commit compares it. */
  readonly modRevision: number;
  /** False when the state is a guess that a failed compare will correct. */
  readonly fresh: boolean;
}

/** One key write of a commit. */
interface KeyWrite {
  readonly key: Buffer;
  readonly pointer: Pointer;
  /** The stored value, or `null` for a delete. */
  readonly value: Buffer | null;
  readonly resource: AnyResource | undefined;
}

/** The event record of one kind: every change of the kind in op order, for watchers. */
interface RecordWrite {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** The outcome of planning a commit against known key states. */
export interface CommitPlan {
  readonly results: TransactionResult[];
  /** Every key the ops touched, with the mod_revision it must still have. */
  readonly compares: readonly KeyState[];
  readonly writes: readonly KeyWrite[];
  /** Event records of the kinds where one key changed more than once. */
  readonly records: readonly RecordWrite[];
  /** Kinds that got a new resource (for meta registration). */
  readonly createdKinds: readonly { namespace: string; type: string }[];
}

interface Slot {
  readonly state: KeyState;
  readonly pointer: Pointer;
  value: AnyResource | undefined;
  touches: number;
  /** Generations of the key made by earlier ops of the transaction. */
  creates: number;
}

/** The key of every op whose identity is well-formed; bad ones fail later, in op order, while planning. */
export function keysOfOps(
  ops: readonly TransactionOp[],
  layout: KeyLayout,
): Map<string, { key: Buffer; assumeAbsent: boolean }> {
  const keys = new Map<string, { key: Buffer; assumeAbsent: boolean }>();
  for (const op of ops) {
    try {
      const pointer = checkPointer(
        op?.op === 'destroy' ? (op.pointer ?? {}) : (op?.resource?.metadata ?? {}),
      );
      const key = layout.key(pointer);
      const name = key.toString('latin1');
      // A key first touched by a create is most likely absent: try without reading it first.
      if (!keys.has(name)) keys.set(name, { key, assumeAbsent: op.op === 'create' });
    } catch {
      // planCommit reports it in order
    }
  }
  return keys;
}

/**
 * Checks every op against the state the ops before it leave (the in-memory store's checks, in its
 * order), then folds the result into one write per key: etcd cannot touch a key twice in one txn.
 * Where a key changes more than once, the kind's event record carries every change, in op order,
 * so watchers still see one event per op.
 */
export function planCommit(
  ops: readonly TransactionOp[],
  now: string,
  layout: KeyLayout,
  states: ReadonlyMap<string, KeyState>,
  definitions: DefinitionLookup,
): CommitPlan {
  const slots = new Map<string, Slot>();
  const results: TransactionResult[] = [];
  const createdKinds: { namespace: string; type: string }[] = [];
  const changes = new Map<string, { kind: Pointer; changes: RecordedChange[]; needed: boolean }>();
  const note = (slot: Slot, change: RecordedChange) => {
    slot.touches++;
    const kindName = `${slot.pointer.namespace}\0${slot.pointer.type}`;
    let entry = changes.get(kindName);
    if (entry === undefined) {
      entry = { kind: slot.pointer, changes: [], needed: false };
      changes.set(kindName, entry);
    }
    entry.changes.push(change);
    if (slot.touches > 1) entry.needed = true;
  };
  const slotOf = (pointer: Pointer): Slot => {
    const key = layout.key(pointer);
    const name = key.toString('latin1');
    let slot = slots.get(name);
    if (slot === undefined) {
      const state = states.get(name);
      if (state === undefined) throw new Error(`etcd state: key ${name} was not read before planning`);
      slot = { state, pointer, value: state.current, touches: 0, creates: 0 };
      slots.set(name, slot);
    }
    return slot;
  };
  for (const op of ops) {
    switch (op?.op) {
      case 'create': {
        const p = checkPointer(op.resource?.metadata ?? {});
        const slot = slotOf(p);
        // Where the key existed before, it keeps its create revision: the generation's place tells it apart.
        const place = slot.creates++ + (slot.state.current === undefined ? 0 : 1);
        const created = createdInTransaction(now, place);
        const stored = planCreate(slot.value, op.resource, op.owner ?? '', created, definitions);
        checkEncodable(stored);
        slot.value = stored;
        note(slot, ['c', stored]);
        createdKinds.push(stored.metadata);
        results.push(stored);
        break;
      }
      case 'update': {
        const slot = slotOf(checkPointer(op.resource?.metadata ?? {}));
        const stored = planUpdate(
          slot.value,
          op.resource,
          op.owner ?? '',
          op.expectedPhase ?? 'running',
          now,
          definitions,
          op.expectedCreated,
        );
        checkEncodable(stored);
        slot.value = stored;
        note(slot, ['u', stored]);
        results.push(stored);
        break;
      }
      case 'destroy': {
        const pointer = checkPointer(op.pointer ?? {});
        const slot = slotOf(pointer);
        planDestroy(slot.value, pointer, op.owner ?? '');
        slot.value = undefined;
        note(slot, ['d', pointer.id]);
        results.push(null);
        break;
      }
      default:
        throw new TypeError(`transaction: unknown op ${JSON.stringify((op as { op?: unknown })?.op)}`);
    }
  }
  const compares: KeyState[] = [];
  const writes: KeyWrite[] = [];
  for (const slot of slots.values()) {
    compares.push(slot.state);
    const { key, current } = slot.state;
    if (slot.value !== undefined) {
      writes.push({ key, pointer: slot.pointer, value: encodeResource(slot.value), resource: slot.value });
    } else if (current !== undefined) {
      writes.push({ key, pointer: slot.pointer, value: null, resource: undefined });
    }
  }
  const records: RecordWrite[] = [];
  for (const entry of changes.values()) {
    if (entry.needed) records.push({ key: layout.recordKey(entry.kind), value: encodeRecord(entry.changes) });
  }
  return { results, compares, writes, records, createdKinds };
}
