import { UnsupportedError } from '../../runtime/errors.js';
import type { Kind } from '../../runtime/resource/pointer.js';
import { normalizeLabelQueries } from '../../runtime/state/label-query.js';
import type { WatchKindOptions, WatchOptions } from '../../runtime/state/state.js';
import { type EventFilter, queryFilter } from '../../runtime/state/watch-stream.js';

/** What one watch subscription watches. */
export type WatchTarget =
  | { readonly mode: 'resource'; readonly kind: Kind; readonly id: string; readonly options: WatchOptions }
  | { readonly mode: 'kind'; readonly kind: Kind; readonly options: WatchKindOptions };

export type { EventFilter };

/** What a watch's errors name: its pointer, or its kind. */
function watchSubject(target: WatchTarget) {
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
