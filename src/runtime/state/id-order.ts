import { lowerBound } from './lower-bound.js';

/**
 * The order `list` returns a collection in: ids in code-unit order (as `<` compares). Usually ids
 * arrive in that order (numbered names, or a kind filled once): then the collection's `Map` already
 * iterates in id order (updates keep an entry's place, deletes keep the others'), and listing is a
 * sequential walk with no lookups. The first id that arrives out of order switches to an explicit
 * sorted array of ids, with new ids queued unsorted and merged in at the next list. @internal
 */
export class IdOrder<TValue> {
  readonly #items: Map<string, TValue>;
  /** True while the map's insertion order is id order. */
  #inOrder = true;
  /** The greatest id inserted while in order: a new id must follow it to keep the order. */
  #last: string | undefined;
  /** Out of order only: ids in order, except those created since the last list, waiting in `#added`. */
  #sortedIds: string[] = [];
  /** Out of order only: ids created since the last list, unsorted. */
  #added: string[] = [];
  /** Some ids in `#added` may since be gone, or be there twice (destroyed and created again). */
  #addedStale = false;

  constructor(items: Map<string, TValue>) {
    this.#items = items;
  }

  /** Call after a new id was set in the map. */
  added(id: string): void {
    if (this.#inOrder) {
      if (this.#last === undefined || this.#last < id) {
        this.#last = id;
        return;
      }
      // The first id out of order: the map's order so far (without this id, just appended) is sorted.
      this.#inOrder = false;
      this.#sortedIds = Array.from(this.#items.keys());
      this.#sortedIds.pop();
      this.#added = [];
    }
    this.#added.push(id);
    // Churn of short-lived ids with nobody listing: merge before the stale entries pile up.
    if (this.#added.length > 2 * this.#items.size + 1024) this.#mergeAdded();
  }

  /** Call after an id was deleted from the map. */
  removed(id: string): void {
    if (this.#items.size === 0) {
      this.#inOrder = true;
      this.#last = undefined;
      this.#sortedIds = [];
      this.#added = [];
      this.#addedStale = false;
      return;
    }
    if (this.#inOrder) return;
    const ids = this.#sortedIds;
    const at = lowerBound(ids, id, (x) => x);
    if (ids[at] === id) ids.splice(at, 1);
    // Otherwise it waits in `#added`, where the merge will find it gone.
    else this.#addedStale = true;
  }

  /** Every value in id order. */
  sortedValues(): TValue[] {
    const items = this.#items;
    if (this.#inOrder) return Array.from(items.values());
    if (this.#added.length > 0) this.#mergeAdded();
    const ids = this.#sortedIds;
    const out = new Array<TValue>(ids.length);
    for (let i = 0; i < out.length; i++) out[i] = items.get(ids[i]!)!;
    return out;
  }

  /** Merges the ids created since the last list into the sorted ids: O(n + k log k). */
  #mergeAdded(): void {
    const queued = this.#added;
    this.#added = [];
    // Ids are often created in order (numbered names): then there is nothing to sort.
    if (!isSorted(queued)) queued.sort();
    let added = queued;
    if (this.#addedStale) {
      // Drop ids destroyed since they were added, and repeats (destroyed and created again).
      const items = this.#items;
      added = queued.filter((id, i) => id !== queued[i - 1] && items.has(id));
      this.#addedStale = false;
    }
    if (added.length === 0) return;
    const old = this.#sortedIds;
    if (old.length === 0 || old[old.length - 1]! < added[0]!) {
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

function isSorted(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! <= ids[i]!)) return false;
  return true;
}
