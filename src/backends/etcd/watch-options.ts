import { UnsupportedError } from '../../runtime/errors.js';
import type { Kind } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import {
  type LabelQuery,
  matchesAnyLabelQuery,
  normalizeLabelQueries,
} from '../../runtime/state/label-query.js';
import type { WatchKindOptions, WatchOptions } from '../../runtime/state/state.js';
import type { WatchEvent } from '../../runtime/state/watch-event.js';

/** What one watch subscription watches. */
export type WatchTarget =
  | { readonly mode: 'resource'; readonly kind: Kind; readonly id: string; readonly options: WatchOptions }
  | { readonly mode: 'kind'; readonly kind: Kind; readonly options: WatchKindOptions };

/** Keeps, rewrites (`null` drops) an event for a watch's query. */
export type EventFilter = (event: WatchEvent) => WatchEvent | null;

/** What a watch's errors name: its pointer, or its kind. */
export function watchSubject(target: WatchTarget) {
  return target.mode === 'resource'
    ? { namespace: target.kind.namespace, type: target.kind.type, id: target.id }
    : { namespace: target.kind.namespace, type: target.kind.type };
}

/** Refuses option mixes (TypeError, as the in-memory store) and tail events (UnsupportedError). */
export function checkWatchOptions(target: WatchTarget): void {
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
  if (tailEvents !== undefined) throw new UnsupportedError(watchSubject(target), 'tail events');
}

/** The filter of a watch's label and id queries (none for a single-resource watch). */
export function watchFilter(target: WatchTarget): EventFilter {
  if (target.mode === 'resource') return (e) => e;
  const queries = normalizeLabelQueries(target.options.labelQuery);
  const idQuery = target.options.idQuery;
  if (queries === undefined && idQuery === undefined) return (e) => e;
  return queryFilter(queries, idQuery);
}

/** A query rewrites events: an update that starts or stops matching becomes `created` or `destroyed`. */
function queryFilter(queries: readonly LabelQuery[] | undefined, idQuery: RegExp | undefined): EventFilter {
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
