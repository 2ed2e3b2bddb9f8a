import type { IEvent, IResponseHeader } from 'etcd3';
import { Observable } from 'rxjs';
import { InvalidBookmarkError, OverrunError, RuntimeError } from '../../runtime/errors.js';
import { makeTombstone } from '../../runtime/resource/resource.js';
import type { WatchEvent } from '../../runtime/state/watch-event.js';
import { decodeEtcdBookmark, type EtcdPosition, encodeEtcdBookmark } from './bookmark.js';
import { isEtcdUnavailableError } from './client.js';
import type { EtcdStore } from './etcd-store.js';
import { rangeEnd } from './keys.js';
import { CompactedError, RawWatch } from './raw-watch.js';
import { type RevisionScope, revisionEvents } from './revision-events.js';
import { checkWatchOptions, type EventFilter, type WatchTarget, watchFilter } from './watch-options.js';

/** Where a watch starts: the events to deliver first and the etcd position to stream from. */
interface Start {
  readonly initial: WatchEvent[];
  readonly position: EtcdPosition;
  readonly tag: string;
}

/**
 * Opens a watch. The etcd watch is registered first ("from now", or from a bookmark's revision);
 * etcd's revision at that moment, R, fixes the snapshot (a read at revision R) and the stream
 * starts at R + 1, so nothing is lost or repeated and the watch is in sync with etcd from its start.
 *
 * @remarks Both `watch(pointer)` and `watchKind` stream the whole kind, so an event's bookmark
 * (revision, count of the kind's events in that revision) means the same in either.
 */
export function openEtcdWatch<T>(store: EtcdStore, target: WatchTarget, aggregated: boolean): Observable<T> {
  return new Observable<T>((subscriber) => {
    let closed = false;
    let raw: RawWatch | undefined;
    let start: Start | undefined;
    const buffered: (readonly IEvent[])[] = [];
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    let onCreated: (header: IResponseHeader) => void = () => {};
    let onEarlyFailure: (error: unknown) => void = () => {};
    const created = new Promise<IResponseHeader>((resolve, reject) => {
      onCreated = resolve;
      onEarlyFailure = reject;
    });
    created.catch(() => {});

    const stop = () => {
      closed = true;
      raw?.close();
      untrack();
      markReady();
      onEarlyFailure(new Error('the watch was closed'));
    };
    const finish = (error?: unknown) => {
      if (closed) return;
      stop();
      if (error === undefined) subscriber.complete();
      else subscriber.error(error);
    };
    const emit = (events: WatchEvent[]) => {
      if (closed || events.length === 0) return;
      if (aggregated) subscriber.next(Object.freeze(events) as T);
      else for (const event of events) if (!closed) subscriber.next(event as T);
    };
    const untrack = store.trackWatch({
      end: () => finish(),
      reached: async (revision) => {
        await ready;
        // The start snapshot (or the bookmark) covers every revision before the stream's start.
        if (closed || start === undefined || start.position.revision > revision) return;
        await raw?.reached(revision);
      },
    });

    let filter: EventFilter;
    let bookmark: ReturnType<typeof decodeEtcdBookmark>;
    let prefix: Buffer;
    let scope: RevisionScope;
    try {
      checkWatchOptions(target);
      filter = watchFilter(target);
      if (target.options.startFromBookmark !== undefined) {
        bookmark = decodeEtcdBookmark(target.options.startFromBookmark);
        if (bookmark === undefined) throw new InvalidBookmarkError(target.kind, 'malformed bookmark');
      }
      prefix = store.layout.kindPrefix(target.kind);
      scope = {
        kind: target.kind,
        prefix,
        recordKey: store.layout.recordKey(target.kind),
        ...(target.mode === 'resource'
          ? { only: { key: store.layout.key({ ...target.kind, id: target.id }), id: target.id } }
          : {}),
      };
    } catch (error) {
      // Errors reach the subscriber asynchronously, never inside subscribe().
      queueMicrotask(() => finish(error));
      return stop;
    }

    const deliver = (events: readonly IEvent[], from: Start) => {
      const out: WatchEvent[] = [];
      const { revision: startRevision, skip } = from.position;
      // etcd sends whole revisions; a bookmark is (revision, events of it in the kind so far).
      for (let i = 0; i < events.length; ) {
        const revision = Number(events[i]!.kv.mod_revision);
        let end = i + 1;
        while (end < events.length && Number(events[end]!.kv.mod_revision) === revision) end++;
        for (const { position, event } of revisionEvents(events.slice(i, end), scope)) {
          if (revision === startRevision && position <= skip) continue;
          const stamped = encodeEtcdBookmark(from.tag, { revision, skip: position });
          const kept = filter(Object.freeze({ ...event, bookmark: stamped }) as WatchEvent);
          if (kept !== null) out.push(kept);
        }
        i = end;
      }
      emit(out);
    };

    raw = new RawWatch(
      store.client,
      prefix,
      rangeEnd(prefix),
      bookmark?.position.revision,
      {
        created: (header) => onCreated(header),
        events: (events) => {
          try {
            if (start === undefined) buffered.push(events);
            else deliver(events, start);
          } catch (error) {
            finish(error);
          }
        },
        fail: (error) => {
          onEarlyFailure(error);
          finish(translateFailure(error, target, bookmark?.position));
        },
      },
      store.clock,
      store.backoff,
      store.outage,
    );
    // Writes this store issues after subscribing wait until etcd has the watch, so it sees them.
    store.pin(raw.firstAttempt);

    const run = async () => {
      const header = await created;
      const attempt = () => begin(store, target, header, bookmark, filter);
      const begun = await store.retryUnavailable('watch start', attempt(), attempt, () => closed);
      if (closed || begun === undefined) return;
      start = begun;
      emit(begun.initial.map((e) => Object.freeze(e)));
      for (const events of buffered.splice(0)) deliver(events, begun);
      markReady();
    };
    run().catch((error: unknown) => finish(error));
    return stop;
  });
}

/** The snapshot or check at etcd's revision when the watch was registered (`header.revision`). */
async function begin(
  store: EtcdStore,
  target: WatchTarget,
  header: IResponseHeader,
  bookmark: ReturnType<typeof decodeEtcdBookmark>,
  filter: EventFilter,
): Promise<Start> {
  const { kind } = target;
  const at = Number(header.revision);
  const tag = store.tag(kind, header.cluster_id);
  const position = { revision: at + 1, skip: 0 };
  if (bookmark !== undefined) {
    if (bookmark.tag !== tag) throw new InvalidBookmarkError(kind, 'bookmark is from another store or kind');
    const { revision, skip } = bookmark.position;
    if (revision > at + 1 || (revision === at + 1 && skip > 0)) {
      throw new InvalidBookmarkError(kind, 'bookmark is from the future');
    }
    return { initial: [], position: bookmark.position, tag };
  }
  if (target.mode === 'resource') {
    const resource = await store.readKey({ ...kind, id: target.id }, at);
    const initial: WatchEvent =
      resource === undefined
        ? { type: 'destroyed', resource: makeTombstone({ ...kind, id: target.id }) }
        : { type: 'created', resource };
    return { initial: [initial], position, tag };
  }
  const { bootstrapContents, bootstrapBookmark } = target.options;
  const initial: WatchEvent[] = [];
  const here = encodeEtcdBookmark(tag, position);
  if (bootstrapBookmark) initial.push({ type: 'noop', bookmark: here });
  if (bootstrapContents) {
    for (const resource of await store.readKind(kind, at)) {
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
  return { initial, position, tag };
}

function translateFailure(error: Error, target: WatchTarget, bookmark: EtcdPosition | undefined): unknown {
  if (error instanceof RuntimeError || isEtcdUnavailableError(error)) return error;
  if (error instanceof CompactedError) {
    // Compacted before the watch got past the bookmark: the bookmark itself is too old.
    if (bookmark !== undefined && error.requested === bookmark.revision) {
      const reason = `bookmark is older than the retained history (${error.message})`;
      return new InvalidBookmarkError(target.kind, reason, { cause: error });
    }
    return new OverrunError(target.kind, `the watch could not resume: ${error.message}`, { cause: error });
  }
  return error;
}
