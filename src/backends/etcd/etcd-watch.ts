import type { IEvent } from 'etcd3';
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
import { decodeResource } from './codec.js';
import type { EtcdStore } from './etcd-store.js';
import { rangeEnd } from './keys.js';
import { CompactedError, RawWatch } from './raw-watch.js';
import { type RevisionScope, revisionEvents } from './revision-events.js';

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
    let startedAt: number | undefined;
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const finish = (error?: unknown) => {
      if (closed) return;
      closed = true;
      raw?.close();
      untrack?.();
      markReady();
      if (error === undefined) subscriber.complete();
      else subscriber.error(error);
    };
    const emit = (events: WatchEvent[]) => {
      if (closed || events.length === 0) return;
      if (aggregated) subscriber.next(Object.freeze(events) as T);
      else for (const event of events) if (!closed) subscriber.next(event as T);
    };
    untrack = store.trackWatch({
      end: () => finish(),
      reached: async (revision) => {
        await ready;
        // The start snapshot (or bookmark) already covers revisions before the stream's start.
        if (closed || startedAt === undefined || startedAt > revision) return;
        await raw?.reached(revision);
      },
    });

    const run = async () => {
      checkOptions(target);
      const filter = makeFilter(target);
      const attempt = () => begin(store, target, filter);
      const first = attempt();
      // Writes this store issues after subscribe wait for this read, so the watch sees them.
      store.pin(first);
      const start = await store.retryUnavailable('watch start', first, attempt, () => closed);
      if (closed || start === undefined) return;
      emit(start.initial.map((e) => Object.freeze(e)));
      const prefix = store.layout.kindPrefix(target.kind);
      const scope: RevisionScope = {
        kind: target.kind,
        prefix,
        recordKey: store.layout.recordKey(target.kind),
        ...(target.mode === 'resource'
          ? { only: { key: store.layout.key({ ...target.kind, id: target.id }), id: target.id } }
          : {}),
      };
      const { revision: startRevision, skip } = start.position;
      const onEvents = (events: readonly IEvent[]) => {
        const out: WatchEvent[] = [];
        // etcd sends whole revisions; a bookmark is (revision, events of it in the kind so far).
        for (let from = 0; from < events.length; ) {
          const revision = Number(events[from]!.kv.mod_revision);
          let to = from + 1;
          while (to < events.length && Number(events[to]!.kv.mod_revision) === revision) to++;
          for (const { position, event } of revisionEvents(events.slice(from, to), scope)) {
            if (revision === startRevision && position <= skip) continue;
            const bookmark = encodeEtcdBookmark(start.tag, { revision, skip: position });
            const kept = filter(Object.freeze({ ...event, bookmark }) as WatchEvent);
            if (kept !== null) out.push(kept);
          }
          from = to;
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
          fail: (error) => finish(translateFailure(error, target, start)),
        },
        store.clock,
        store.backoff,
        store.logger,
      );
      startedAt = startRevision;
      markReady();
    };
    run().catch((error: unknown) => finish(error));
    return () => {
      closed = true;
      raw?.close();
      untrack?.();
      markReady();
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
        return Object.freeze(
          event.bookmark === undefined
            ? { type, resource: event.resource }
            : { type, resource: event.resource, bookmark: event.bookmark },
        );
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

function translateFailure(error: Error, target: WatchTarget, start: Start): unknown {
  if (error instanceof RuntimeError || isEtcdUnavailableError(error)) return error;
  if (error instanceof CompactedError) {
    // Compacted before the watch got past the bookmark: the bookmark itself is too old.
    if (start.fromBookmark && error.requested === start.position.revision) {
      const reason = `bookmark is older than the retained history (${error.message})`;
      return new InvalidBookmarkError(target.kind, reason, { cause: error });
    }
    return new OverrunError(target.kind, `the watch could not resume: ${error.message}`, { cause: error });
  }
  return error;
}
