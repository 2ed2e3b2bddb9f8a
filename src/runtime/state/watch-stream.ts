import { Observable } from 'rxjs';
import { InvalidBookmarkError, OverrunError } from '../errors.js';
import { makeTombstone } from '../resource/resource.js';
import { decodeBookmark, encodeBookmark } from './bookmark.js';
import type { Collection, Watcher } from './collection.js';
import { type LabelQuery, matchesAnyLabelQuery, normalizeLabelQueries } from './label-query.js';
import type { WatchKindOptions, WatchOptions } from './state.js';
import type { WatchEvent } from './watch-event.js';

/** What a watch stream needs from the store that owns the collection. */
export interface WatchHost {
  readonly cookie: string;
  /** Schedules `watcher.deliver()` in a microtask (tracked for `delivered()`). */
  scheduleDelivery(watcher: Watcher): void;
  /** A watcher of the collection ended: the store may drop the collection if nothing is left in it. */
  released(collection: Collection): void;
}

/** Keeps, rewrites or (`null`) drops an event for a watch's query. */
export type EventFilter = (event: WatchEvent) => WatchEvent | null;

/**
 * A resource event rewritten by a query: `updated` becomes `created`/`destroyed` (without `old`) when
 * matching flips. Shared by every backend's watches. @internal
 */
export function queryFilter(
  queries: readonly LabelQuery[] | undefined,
  idQuery: RegExp | undefined,
): EventFilter {
  const matches = (r: { metadata: { id: string; labels: Readonly<Record<string, string>> } }) =>
    (idQuery === undefined || testId(idQuery, r.metadata.id)) &&
    (queries === undefined || matchesAnyLabelQuery(r.metadata.labels, queries));
  return (event) => {
    switch (event.type) {
      case 'created':
      case 'destroyed':
        return matches(event.resource) ? event : null;
      case 'updated': {
        const was = matches(event.old);
        const is = matches(event.resource);
        if (was && is) return event;
        if (!was && !is) return null;
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

function testId(re: RegExp, id: string): boolean {
  re.lastIndex = 0;
  return re.test(id);
}

function optionsError(collection: Collection, message: string): Error {
  return new TypeError(`watch ${collection.type}(${collection.namespace}): ${message}`);
}

/** Resolves a bookmark to a history position of this collection, or throws `InvalidBookmarkError`. */
function bookmarkPosition(host: WatchHost, collection: Collection, bookmark: string): number {
  const subject = { namespace: collection.namespace, type: collection.type };
  const decoded = decodeBookmark(bookmark);
  if (decoded === undefined) throw new InvalidBookmarkError(subject, 'malformed bookmark');
  if (decoded.cookie !== host.cookie)
    throw new InvalidBookmarkError(subject, 'bookmark is from another store');
  if (decoded.collection !== collection.serial) {
    // Another kind's bookmark, or one from before the kind was last left empty and unwatched.
    throw new InvalidBookmarkError(subject, 'bookmark is from another resource kind or from dropped history');
  }
  const h = collection.history;
  if (decoded.position > h.writePos) throw new InvalidBookmarkError(subject, 'bookmark is from the future');
  if (decoded.position < h.oldestResumable()) {
    throw new InvalidBookmarkError(subject, 'bookmark is older than the retained history');
  }
  return decoded.position;
}

/**
 * Opens a stream over a collection. Everything that fixes the start (snapshot, position, bookmark
 * check) happens at subscribe time, atomically with respect to writers; delivery is asynchronous.
 */
function openStream<T>(
  host: WatchHost,
  collection: Collection,
  aggregated: boolean,
  start: () => { pos: number; initial: WatchEvent[] | null; filter: EventFilter | null },
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let begin: ReturnType<typeof start>;
    const watcher: Watcher = { pos: 0, initial: null, closed: false, deliver: () => {} };
    try {
      begin = start();
    } catch (error) {
      watcher.deliver = () => subscriber.error(error);
      host.scheduleDelivery(watcher);
      host.released(collection);
      return () => {
        watcher.closed = true;
      };
    }
    watcher.pos = begin.pos;
    watcher.initial = begin.initial;
    const filter = begin.filter;
    const h = collection.history;
    const overrun = () => {
      watcher.closed = true;
      collection.watchers.delete(watcher);
      host.released(collection);
      subscriber.error(
        new OverrunError(
          { namespace: collection.namespace, type: collection.type },
          `write pos ${h.writePos}, pos ${watcher.pos}, capacity ${h.capacity}`,
        ),
      );
    };
    watcher.deliver = aggregated
      ? () => {
          if (watcher.closed) return;
          if (watcher.initial !== null) {
            // The bootstrap is a batch of its own, even when live events are already pending.
            const initial = watcher.initial;
            watcher.initial = null;
            subscriber.next(Object.freeze(initial) as T);
            if (watcher.closed) return;
          }
          const batch: WatchEvent[] = [];
          const end = h.writePos;
          if (h.overrun(watcher.pos)) return overrun();
          while (watcher.pos < end) {
            const event = h.at(watcher.pos++);
            const out = filter === null ? event : filter(event);
            if (out !== null) batch.push(out);
          }
          if (batch.length > 0) subscriber.next(Object.freeze(batch) as T);
        }
      : () => {
          if (watcher.closed) return;
          if (watcher.initial !== null) {
            const initial = watcher.initial;
            watcher.initial = null;
            for (const event of initial) {
              if (watcher.closed) return;
              subscriber.next(event as T);
            }
          }
          const end = h.writePos;
          while (watcher.pos < end && !watcher.closed) {
            // A consumer writing synchronously from its callback can lap this cursor.
            if (h.overrun(watcher.pos)) return overrun();
            const event = h.at(watcher.pos++);
            const out = filter === null ? event : filter(event);
            if (out !== null) subscriber.next(out as T);
          }
        };
    collection.watchers.add(watcher);
    host.scheduleDelivery(watcher);
    return () => {
      watcher.closed = true;
      if (collection.watchers.delete(watcher)) host.released(collection);
    };
  });
}

/** `watch(pointer)`: the current state (or a tail, or a resume point), then every change of the id. */
export function watchResource(
  host: WatchHost,
  collection: Collection,
  id: string,
  options: WatchOptions = {},
): Observable<WatchEvent> {
  return openStream(host, collection, false, () => {
    const { tailEvents, startFromBookmark } = options;
    if (tailEvents !== undefined && startFromBookmark !== undefined) {
      throw optionsError(collection, 'tailEvents cannot be combined with startFromBookmark');
    }
    const filter: EventFilter = (e) =>
      (e.type === 'created' || e.type === 'updated' || e.type === 'destroyed') &&
      e.resource.metadata.id === id
        ? e
        : null;
    const h = collection.history;
    if (startFromBookmark !== undefined) {
      return { pos: bookmarkPosition(host, collection, startFromBookmark), initial: null, filter };
    }
    if (tailEvents !== undefined) {
      const floor = h.writePos - h.tailLimit();
      let pos = h.writePos;
      let found = 0;
      while (pos > floor && found < tailEvents) {
        pos--;
        if (filter(h.at(pos)) !== null) found++;
      }
      return { pos: found === 0 ? h.writePos : pos, initial: null, filter };
    }
    const current = collection.items.get(id);
    const initial: WatchEvent =
      current === undefined
        ? {
            type: 'destroyed',
            resource: makeTombstone({ namespace: collection.namespace, type: collection.type, id }),
          }
        : { type: 'created', resource: current };
    return { pos: h.writePos, initial: [Object.freeze(initial)], filter };
  });
}

/** `watchKind` and `watchKindAggregated` over one collection. */
export function watchCollection<T>(
  host: WatchHost,
  collection: Collection,
  aggregated: boolean,
  options: WatchKindOptions = {},
): Observable<T> {
  return openStream<T>(host, collection, aggregated, () => {
    const { bootstrapContents, bootstrapBookmark, tailEvents, startFromBookmark, idQuery } = options;
    if (bootstrapContents && (tailEvents !== undefined || startFromBookmark !== undefined)) {
      throw optionsError(
        collection,
        'bootstrapContents cannot be combined with tailEvents or startFromBookmark',
      );
    }
    if (tailEvents !== undefined && startFromBookmark !== undefined) {
      throw optionsError(collection, 'tailEvents cannot be combined with startFromBookmark');
    }
    const queries = normalizeLabelQueries(options.labelQuery);
    const filter = queries === undefined && idQuery === undefined ? null : queryFilter(queries, idQuery);
    const h = collection.history;
    const here = encodeBookmark(host.cookie, collection.serial, h.writePos);
    const initial: WatchEvent[] = [];
    if (bootstrapBookmark) initial.push(Object.freeze({ type: 'noop', bookmark: here }));
    let pos = h.writePos;
    if (startFromBookmark !== undefined) pos = bookmarkPosition(host, collection, startFromBookmark);
    else if (tailEvents !== undefined) pos = h.writePos - Math.min(Math.max(0, tailEvents), h.tailLimit());
    if (bootstrapContents) {
      for (const resource of collection.sorted()) {
        const event: WatchEvent = Object.freeze({ type: 'created', resource });
        if (filter === null || filter(event) !== null) initial.push(event);
      }
      initial.push(
        Object.freeze({
          type: 'bootstrapped',
          namespace: collection.namespace,
          resourceType: collection.type,
          bookmark: here,
        }),
      );
    }
    return { pos, initial: initial.length > 0 ? initial : null, filter };
  });
}
