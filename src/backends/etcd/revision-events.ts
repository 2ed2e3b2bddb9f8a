import type { IEvent, IKeyValue } from 'etcd3';
import type { Kind } from '../../runtime/resource/pointer.js';
import { type AnyResource, makeTombstone } from '../../runtime/resource/resource.js';
import type { WatchEvent } from '../../runtime/state/watch-event.js';
import { decodeRecord, decodeResource } from './codec.js';
import { revisionsOf } from './generation-created.js';
import { idOfKey, isResourceKey } from './keys.js';

/** Where a revision's etcd events come from and which of them a watch wants. */
export interface RevisionScope {
  readonly kind: Kind;
  readonly prefix: Buffer;
  readonly recordKey: Buffer;
  /** Set for `watch(pointer)`: only this resource's events are built (all are still counted). */
  readonly only?: { readonly key: Buffer; readonly id: string };
}

/** A converge event and its 1-based position among all events of its revision in the kind. */
export interface PositionedEvent {
  readonly position: number;
  readonly event: WatchEvent;
}

/**
 * The converge events of one etcd revision of a kind, in order. A plain revision has one event per
 * etcd event; a revision with the kind's event record (a transaction that changed one key several
 * times) has the record's changes instead, the values before it taken from the etcd events' prev_kv.
 */
export function revisionEvents(events: readonly IEvent[], scope: RevisionScope): PositionedEvent[] {
  const record = events.find((e) => e.type === 'Put' && scope.recordKey.equals(e.kv.key));
  return record === undefined ? plainEvents(events, scope) : recordedEvents(record, events, scope);
}

function plainEvents(events: readonly IEvent[], scope: RevisionScope): PositionedEvent[] {
  const out: PositionedEvent[] = [];
  let position = 0;
  for (const e of events) {
    if (!isResourceKey(scope.prefix, e.kv.key)) continue;
    position++;
    if (scope.only !== undefined && !scope.only.key.equals(e.kv.key)) continue;
    const prev = present(e.prev_kv)
      ? decodeResource(e.prev_kv.value, e.prev_kv.key, revisionsOf(e.prev_kv))
      : undefined;
    let event: WatchEvent;
    if (e.type === 'Delete') {
      event = { type: 'destroyed', resource: prev ?? tombstone(scope, idOfKey(scope.prefix, e.kv.key)) };
    } else {
      const resource = decodeResource(e.kv.value, e.kv.key, revisionsOf(e.kv));
      // Without a previous value (a new key, or etcd compacted it away) the change reads as a creation.
      event = prev === undefined ? { type: 'created', resource } : { type: 'updated', resource, old: prev };
    }
    out.push({ position, event });
  }
  return out;
}

function recordedEvents(record: IEvent, events: readonly IEvent[], scope: RevisionScope): PositionedEvent[] {
  const before = new Map<string, IEvent>();
  for (const e of events) {
    if (isResourceKey(scope.prefix, e.kv.key)) before.set(idOfKey(scope.prefix, e.kv.key), e);
  }
  const last = new Map<string, AnyResource | undefined>();
  const valueBefore = (id: string): AnyResource | undefined => {
    if (last.has(id)) return last.get(id);
    const prev = before.get(id)?.prev_kv;
    return present(prev) ? decodeResource(prev.value, prev.key, revisionsOf(prev)) : undefined;
  };
  const out: PositionedEvent[] = [];
  let position = 0;
  for (const change of decodeRecord(record.kv.value, record.kv.key, Number(record.kv.mod_revision))) {
    position++;
    const id = change[0] === 'd' ? change[1] : change[1].metadata.id;
    if (scope.only !== undefined && scope.only.id !== id) continue;
    let event: WatchEvent;
    if (change[0] === 'd') {
      event = { type: 'destroyed', resource: valueBefore(id) ?? tombstone(scope, id) };
      last.set(id, undefined);
    } else {
      const resource = change[1];
      const old = change[0] === 'u' ? valueBefore(id) : undefined;
      event = old === undefined ? { type: 'created', resource } : { type: 'updated', resource, old };
      last.set(id, resource);
    }
    out.push({ position, event });
  }
  return out;
}

function tombstone(scope: RevisionScope, id: string): AnyResource {
  return makeTombstone({ namespace: scope.kind.namespace, type: scope.kind.type, id }) as never;
}

function present(kv: IKeyValue | null | undefined): kv is IKeyValue {
  return kv !== null && kv !== undefined && kv.key !== undefined && kv.key.length > 0;
}
