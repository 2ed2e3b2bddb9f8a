import type { AnyResource } from '../resource/resource.js';
import { lowerBound } from '../state/lower-bound.js';

const idOfResource = (r: AnyResource) => r.metadata.id;

/**
 * Finds resources by id in a list sorted by id (as `list` returns them), marking the ones found.
 * Lookups that walk the list in order (outputs whose ids follow their inputs') hit the cursor in
 * O(1); others binary-search. No map is built: at 100k resources a map per run costs more than
 * the lookups it saves. A list that is not sorted by `<` falls back to a map. @internal
 */
export class SortedLookup {
  readonly #items: readonly AnyResource[];
  readonly #marks: Uint8Array;
  #cursor = 0;
  #byId: Map<string, number> | undefined;

  constructor(items: readonly AnyResource[]) {
    this.#items = items;
    this.#marks = new Uint8Array(items.length);
    for (let i = 1; i < items.length; i++) {
      if (!(items[i - 1]!.metadata.id < items[i]!.metadata.id)) {
        this.#byId = new Map(items.map((r, k) => [r.metadata.id, k]));
        break;
      }
    }
  }

  /** The position of `id`, or -1. */
  indexOf(id: string): number {
    const items = this.#items;
    const c = this.#cursor;
    if (c < items.length && items[c]!.metadata.id === id) {
      this.#cursor = c + 1;
      return c;
    }
    let found: number;
    if (this.#byId !== undefined) {
      found = this.#byId.get(id) ?? -1;
    } else {
      const at = lowerBound(items, id, idOfResource);
      found = at < items.length && items[at]!.metadata.id === id ? at : -1;
    }
    if (found >= 0) this.#cursor = found + 1;
    return found;
  }

  /** The resource at a position `indexOf` returned. */
  at(index: number): AnyResource {
    return this.#items[index]!;
  }

  mark(index: number): void {
    this.#marks[index] = 1;
  }

  marked(index: number): boolean {
    return this.#marks[index] === 1;
  }
}
