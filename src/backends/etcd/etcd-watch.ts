import type { IEvent, IKeyValue } from 'etcd3';
import { Observable } from 'rxjs';
import { InvalidBookmarkError, OverrunError, RuntimeError, UnsupportedError } from '../../runtime/errors.js';
import type { Kind } from '../../runtime/resource/pointer.js';
import { type AnyResource, makeTombstone } from '../../runtime/resource/resource.js';
import {
  type LabelQuery,
  matchesAnyLabelQuery,
  normalizeLabelQueries,
} from '../../runtime/state/label-query.js';
import type { WatchKindOptions, WatchOptions } from '../../runtime/state/state.js';
import type { WatchEvent } from '../../runtime/state/watch-event.js';
import { decodeEtcdBookmark, type EtcdPosition, encodeEtcdBookmark } from './bookmark.js';
import { isEtcdUnavailableError } from './client.js';
import { decodeResource, incarnationOf } from './codec.js';
import type { EtcdStore } from './etcd-store.js';
import { idOfKey, rangeEnd } from './keys.js';
import { CompactedError, RawWatch } from './raw-watch.js';

/** What one watch subscription watches. */
export type WatchTarget =
  | { readonly mode: 'resource'; readonly kind: Kind; readonly id: string; readonly options: WatchOptions }
  | { readonly mode: 'kind'; readonly kind: Kind; readonly options: WatchKindOptions };

type Filter = (event: WatchEvent) => WatchEvent | null;

/** Where a watch starts: the events to deliver first and the etcd position to stream from. */
interface Start {
  readonly initial: WatchEvent[];
  readonly position: EtcdPosition;
  readonly tag: string;
  readonly fromBookmark: boolean;
}

/**
 * Opens a watch: a start read fixes the position (a snapshot at revision S, then a stream from
 * S + 1, so nothing is lost or repeated), then a {@link RawWatch} streams the kind's key range.
 *
 * @remarks Both `watch(pointer)` and `watchKind` stream the whole kind, so an event's bookmark
 * (revision, count of the kind's events in that revision) means the same in either.
 */
export function openEtcdWatch<T>(store: EtcdStore, target: WatchTarget, aggregated: boolean): Observable<T> {
  return new Observable<T>((subscriber) => {
    let closed = false;
    let raw: RawWatch | undefined;
    let untrack: (() => void) | undefined;
    const finish = (error?: unknown) => {
      if (closed) return;
      closed = true;
      raw?.close();
      untrack?.();
      if (error === undefined) subscriber.complete();
      else subscriber.error(error);
    };
    const emit = (events: WatchEvent[]) => {
      if (closed || events.length === 0) return;
      if (aggregated) subscriber.next(events as T);
      else for (const event of events) if (!closed) subscriber.next(event as T);
    };
    untrack = store.trackWatch(() => finish());

    const run = async () => {
      checkOptions(target);
      const filter = makeFilter(target);
      const attempt = () => begin(store, target, filter);
      const first = attempt();
      // Writes this store issues after subscribe wait for this read, so the watch sees them.
      store.pin(first);
      const start = await store.retryUnavailable('watch start', first, attempt, () => closed);
      if (closed || start === undefined) return;
      emit(start.initial);
      const prefix = store.layout.kindPrefix(target.kind);
      const key =
        target.mode === 'resource' ? store.layout.key({ ...target.kind, id: target.id }) : undefined;
      const { revision: startRevision, skip } = start.position;
      let revision = 0;
      let index = 0;
      const onEvents = (events: readonly IEvent[]) => {
        const out: WatchEvent[] = [];
        for (const event of events) {
          const rev = Number(event.kv.mod_revision);
          if (rev !== revision) {
            revision = rev;
            index = 0;
          }
          index++;
          if (key !== undefined && !key.equals(event.kv.key)) continue;
          // Positions count halves of raw events: a put that stands for a destroy and a create
          // yields two events, resumable between them.
          const converted = convert(event, prefix, target.kind);
          const base = 2 * index - converted.length;
          for (let half = 0; half < converted.length; half++) {
            const unit = base + half + 1;
            if (rev === startRevision && unit <= skip) continue;
            const bookmark = encodeEtcdBookmark(start.tag, { revision: rev, skip: unit });
            const kept = filter(withBookmark(converted[half]!, bookmark));
            if (kept !== null) out.push(kept);
          }
        }
        emit(out);
      };
      raw = new RawWatch(
        store.client,
        prefix,
        rangeEnd(prefix),
        startRevision,
        {
          events: (events) => {
            try {
              onEvents(events);
            } catch (error) {
              finish(error);
            }
          },
          fail: (error) => finish(translateFailure(error, target, start.fromBookmark, raw?.created ?? false)),
        },
        store.clock,
        store.backoff,
        store.logger,
      );
    };
    run().catch((error: unknown) => finish(error));
    return () => {
      closed = true;
      raw?.close();
      untrack?.();
    };
  });
}

function subject(target: WatchTarget) {
  return target.mode === 'resource'
    ? { namespace: target.kind.namespace, type: target.kind.type, id: target.id }
    : { namespace: target.kind.namespace, type: target.kind.type };
}

function checkOptions(target: WatchTarget): void {
  const where = `watch ${target.kind.type}(${target.kind.namespace})`;
  if (target.mode === 'kind') {
    const { bootstrapContents, tailEvents, startFromBookmark } = target.options;
    if (bootstrapContents && (tailEvents !== undefined || startFromBookmark !== undefined)) {
      throw new TypeError(
        `${where}: bootstrapContents cannot be combined with tailEvents or startFromBookmark`,
      );
    }
  }
  const { tailEvents, startFromBookmark } = target.options;
  if (tailEvents !== undefined && startFromBookmark !== undefined) {
    throw new TypeError(`${where}: tailEvents cannot be combined with startFromBookmark`);
  }
  // etcd keeps revisions, not a per-kind ring of recent events (as upstream's state-etcd).
  if (tailEvents !== undefined) throw new UnsupportedError(subject(target), 'tail events');
}

function makeFilter(target: WatchTarget): Filter {
  if (target.mode === 'resource') return (e) => e;
  const queries = normalizeLabelQueries(target.options.labelQuery);
  const idQuery = target.options.idQuery;
  if (queries === undefined && idQuery === undefined) return (e) => e;
  return queryFilter(queries, idQuery);
}

/** A query rewrites events: an update that starts or stops matching becomes `created` or `destroyed`. */
function queryFilter(queries: readonly LabelQuery[] | undefined, idQuery: RegExp | undefined): Filter {
  const matches = (r: AnyResource) => {
    if (idQuery !== undefined) {
      idQuery.lastIndex = 0;
      if (!idQuery.test(r.metadata.id)) return false;
    }
    return queries === undefined || matchesAnyLabelQuery(r.metadata.labels, queries);
  };
  return (event) => {
    switch (event.type) {
      case 'created':
      case 'destroyed':
        return matches(event.resource as AnyResource) ? event : null;
      case 'updated': {
        const was = matches(event.old);
        const is = matches(event.resource);
        if (was === is) return is ? event : null;
        const type = is ? 'created' : 'destroyed';
        return event.bookmark === undefined
          ? { type, resource: event.resource }
          : { type, resource: event.resource, bookmark: event.bookmark };
      }
      default:
        return event;
    }
  };
}

/** Reads the starting point of a watch. */
async function begin(store: EtcdStore, target: WatchTarget, filter: Filter): Promise<Start> {
  const { kind } = target;
  const bookmark = target.options.startFromBookmark;
  if (bookmark !== undefined) {
    const decoded = decodeEtcdBookmark(bookmark);
    if (decoded === undefined) throw new InvalidBookmarkError(kind, 'malformed bookmark');
    const head = await store.head(kind);
    const tag = store.tag(kind, head.clusterId);
    if (decoded.tag !== tag) throw new InvalidBookmarkError(kind, 'bookmark is from another store or kind');
    const { revision, skip } = decoded.position;
    if (revision > head.revision + 1 || (revision === head.revision + 1 && skip > 0)) {
      throw new InvalidBookmarkError(kind, 'bookmark is from the future');
    }
    return { initial: [], position: decoded.position, tag, fromBookmark: true };
  }
  if (target.mode === 'resource') {
    const read = await store.readKey({ ...kind, id: target.id });
    const tag = store.tag(kind, read.clusterId);
    const initial: WatchEvent =
      read.kv === undefined
        ? { type: 'destroyed', resource: makeTombstone({ ...kind, id: target.id }) }
        : { type: 'created', resource: decodeResource(read.kv.value, read.kv.key) };
    return {
      initial: [initial],
      position: { revision: read.revision + 1, skip: 0 },
      tag,
      fromBookmark: false,
    };
  }
  const { bootstrapContents, bootstrapBookmark } = target.options;
  const initial: WatchEvent[] = [];
  let snapshot: { revision: number; clusterId: string; resources?: readonly AnyResource[] };
  if (bootstrapContents) snapshot = await store.readKind(kind);
  else snapshot = await store.head(kind);
  const tag = store.tag(kind, snapshot.clusterId);
  const position = { revision: snapshot.revision + 1, skip: 0 };
  const here = encodeEtcdBookmark(tag, position);
  if (bootstrapBookmark) initial.push({ type: 'noop', bookmark: here });
  if (bootstrapContents) {
    for (const resource of snapshot.resources ?? []) {
      const event = filter({ type: 'created', resource });
      if (event !== null) initial.push(event);
    }
    initial.push({
      type: 'bootstrapped',
      namespace: kind.namespace,
      resourceType: kind.type,
      bookmark: here,
    });
  }
  return { initial, position, tag, fromBookmark: false };
}

/** The events one etcd event stands for (two when a destroy and a create collapsed into one put). */
function convert(event: IEvent, prefix: Buffer, kind: Kind): WatchEvent[] {
  const prev = present(event.prev_kv) ? decodeResource(event.prev_kv.value, event.prev_kv.key) : undefined;
  if (event.type === 'Delete') {
    return [
      {
        type: 'destroyed',
        resource:
          prev ??
          makeTombstone({ namespace: kind.namespace, type: kind.type, id: idOfKey(prefix, event.kv.key) }),
      },
    ];
  }
  const resource = decodeResource(event.kv.value, event.kv.key);
  // Without a previous value (new key, or etcd compacted it away) the change reads as a creation.
  if (prev === undefined) return [{ type: 'created', resource }];
  if (incarnationOf(prev) === incarnationOf(resource)) return [{ type: 'updated', resource, old: prev }];
  return [
    { type: 'destroyed', resource: prev },
    { type: 'created', resource },
  ];
}

function present(kv: IKeyValue | null | undefined): kv is IKeyValue {
  return kv !== null && kv !== undefined && kv.key !== undefined && kv.key.length > 0;
}

function withBookmark(event: WatchEvent, bookmark: string): WatchEvent {
  return { ...event, bookmark } as WatchEvent;
}

function translateFailure(
  error: Error,
  target: WatchTarget,
  fromBookmark: boolean,
  created: boolean,
): unknown {
  if (error instanceof RuntimeError || isEtcdUnavailableError(error)) return error;
  if (error instanceof CompactedError) {
    if (fromBookmark && !created) {
      return new InvalidBookmarkError(
        target.kind,
        `bookmark is older than the retained history (${error.message})`,
        {
          cause: error,
        },
      );
    }
    return new OverrunError(target.kind, `the watch could not resume: ${error.message}`, { cause: error });
  }
  return error;
}
