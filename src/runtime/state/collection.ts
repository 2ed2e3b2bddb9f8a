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
  /** The collection's type and namespace are registered in `meta` (the store checks once per collection). */
  metaRegistered = false;
  /** Ids in code-unit order, except those created since the last `sorted()`, which wait in `#added`. */
  #sortedIds: string[] = [];
  /**
   * Ids created since the last `sorted()`, unsorted; an id destroyed (or created again) meanwhile
   * may be stale or repeated here, which the merge sorts out against `items`.
   */
  #added: string[] = [];
  /** `created` of recently destroyed ids, oldest first. */
  readonly #destroyedCreated = new Map<string, string>();
  #sorted: readonly AnyResource[] | null = null;

  constructor(
    readonly namespace: string,
    readonly type: string,
    readonly serial: number,
    history: HistoryConfig,
    /** What every bookmark of this collection starts with; the position follows. */
    readonly bookmarkPrefix: string,
  ) {
    this.history = new History(history);
  }

  /** Stores a resource; `isNew` says whether the id was absent (the caller already looked). */
  put(resource: AnyResource, isNew: boolean): void {
    const id = resource.metadata.id;
    // New ids are sorted in lazily: a burst of creates costs one sort at the next list, not a splice each.
    this.items.set(id, resource);
    this.#sorted = null;
    if (isNew) {
      this.#added.push(id);
      // Churn of short-lived ids with nobody listing: merge before the stale entries pile up.
      if (this.#added.length > 2 * this.items.size + 1024) this.#mergeAdded();
    }
  }

  /** Removes a resource. */
  remove(id: string): void {
    const gone = this.items.get(id);
    if (gone === undefined) return;
    this.items.delete(id);
    this.#rememberCreated(id, gone.metadata.created);
    // Not among the sorted ids: it waits in `#added`, where the merge will find it gone.
    const ids = this.#sortedIds;
    const at = lowerBound(ids, id);
    if (ids[at] === id) ids.splice(at, 1);
    this.#sorted = null;
  }

  /**
   * The `created` of a new generation of `id`: `now`, unless a destroyed generation of the id got
   * the same value (same millisecond, or a clock that stands still), in which case sub-millisecond
   * digits tell them apart. `created` is what separates generations, whose versions both start at 1.
   */
  createdFor(id: string, now: string): string {
    const previous = this.#destroyedCreated.get(id);
    if (previous === undefined) return now;
    const last = /^(.*\.\d{3})(\d{3})?Z$/.exec(previous);
    const base = /^(.*\.\d{3})Z$/.exec(now);
    if (last === null || base === null || last[1] !== base[1]) return now;
    const next = Number(last[2] ?? '0') + 1;
    return next > 999 ? now : `${base[1]}${String(next).padStart(3, '0')}Z`;
  }

  #rememberCreated(id: string, created: string): void {
    const remembered = this.#destroyedCreated;
    remembered.delete(id);
    remembered.set(id, created);
    // Only recent generations can be confused with a new one: keep a bounded window.
    if (remembered.size > destroyedMemory) remembered.delete(remembered.keys().next().value!);
  }

  /** Every resource sorted by id, as one frozen array shared until the next change. */
  sorted(): readonly AnyResource[] {
    if (this.#sorted === null) {
      if (this.#added.length > 0) this.#mergeAdded();
      const ids = this.#sortedIds;
      const out = new Array<AnyResource>(ids.length);
      for (let i = 0; i < out.length; i++) out[i] = this.items.get(ids[i]!)!;
      this.#sorted = Object.freeze(out);
    }
    return this.#sorted;
  }

  /** Merges the ids created since the last list into the sorted ids: O(n + k log k). */
  #mergeAdded(): void {
    const items = this.items;
    // Ids are often created in order (numbered names): then there is nothing to sort.
    const sortedAdded = isSorted(this.#added) ? this.#added : this.#added.sort();
    this.#added = [];
    // Drop ids destroyed since they were added, and repeats (destroyed and created again).
    const added: string[] = [];
    for (let i = 0; i < sortedAdded.length; i++) {
      const id = sortedAdded[i]!;
      if (id !== sortedAdded[i - 1] && items.has(id)) added.push(id);
    }
    const old = this.#sortedIds;
    if (old.length === 0) {
      this.#sortedIds = added;
      return;
    }
    if (added.length > 0 && old[old.length - 1]! < added[0]!) {
      for (const id of added) old.push(id);
      return;
    }
    const merged = new Array<string>(old.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
    while (i < old.length) merged[k++] = old[i++]!;
    while (j < added.length) merged[k++] = added[j++]!;
    this.#sortedIds = merged;
  }
}

/** How many destroyed ids per kind keep their `created` for telling generations apart. */
const destroyedMemory = 4096;

function isSorted(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! <= ids[i]!)) return false;
  return true;
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
