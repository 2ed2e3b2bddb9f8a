import type { AnyResource } from '../resource/resource.js';
import { History, type HistoryConfig } from './history.js';
import type { WatchEvent } from './watch-event.js';

/** A subscriber to one collection, with its own cursor into the history. */
export interface Watcher {
  /** The next history position to deliver. */
  pos: number;
  /** Events to deliver before the history (initial state or bootstrap); `null` once delivered. */
  initial: WatchEvent[] | null;
  closed: boolean;
  /** Delivers everything pending; called from a microtask, never inside a writer's call. */
  deliver(): void;
}

/**
 * The resources of one (namespace, type): a map by id, ids kept sorted for `list`, the history
 * ring, and the watchers reading it.
 */
export class Collection {
  readonly items = new Map<string, AnyResource>();
  readonly history: History;
  readonly watchers = new Set<Watcher>();
  notifyScheduled = false;
  #sortedIds: string[] = [];
  #sorted: readonly AnyResource[] | null = null;

  constructor(
    readonly namespace: string,
    readonly type: string,
    readonly serial: number,
    history: HistoryConfig,
  ) {
    this.history = new History(history);
  }

  /** Stores a resource; `isNew` says whether the id was absent (the caller already looked). */
  put(resource: AnyResource, isNew: boolean): void {
    const id = resource.metadata.id;
    if (isNew) {
      const ids = this.#sortedIds;
      const at = lowerBound(ids, id);
      if (at === ids.length) ids.push(id);
      else ids.splice(at, 0, id);
    }
    this.items.set(id, resource);
    this.#sorted = null;
  }

  /** Removes a resource. */
  remove(id: string): void {
    if (!this.items.delete(id)) return;
    const ids = this.#sortedIds;
    const at = lowerBound(ids, id);
    if (ids[at] === id) ids.splice(at, 1);
    this.#sorted = null;
  }

  /** Every resource sorted by id, as one frozen array shared until the next change. */
  sorted(): readonly AnyResource[] {
    if (this.#sorted === null) {
      const out = new Array<AnyResource>(this.#sortedIds.length);
      for (let i = 0; i < out.length; i++) out[i] = this.items.get(this.#sortedIds[i]!)!;
      this.#sorted = Object.freeze(out);
    }
    return this.#sorted;
  }
}

/** Index of the first id not less than `id` (code-unit order, as `<` compares). */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
