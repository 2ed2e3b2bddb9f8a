import type { AnyResource } from '../resource/resource.js';
import type { Collection } from './collection.js';

/** One planned write of a transaction: a resource put (created or updated) or removed. */
export type Change =
  | { kind: 'put'; collection: Collection; resource: AnyResource; old: AnyResource | undefined }
  | { kind: 'remove'; collection: Collection; resource: AnyResource };

/** The changes of one transaction so far, in order, and the value each leaves its id with. */
export class Staging {
  readonly changes: Change[] = [];
  // Most transactions have a few dozen ops at most (generic controllers batch 32): scanning the
  // changes beats maps of maps; a map takes over past 64.
  #map: Map<Collection, Map<string, Change>> | undefined;

  /** The value an earlier op left the id with: a resource, `null` (destroyed), or `undefined` (untouched). */
  get(collection: Collection, id: string): AnyResource | null | undefined {
    const change = this.#map !== undefined ? this.#map.get(collection)?.get(id) : this.#scan(collection, id);
    if (change === undefined) return undefined;
    return change.kind === 'put' ? change.resource : null;
  }

  /** The `created` of the generation an earlier op of the transaction destroyed, if that is the id's last change. */
  destroyedCreated(collection: Collection, id: string): string | undefined {
    const change = this.#map !== undefined ? this.#map.get(collection)?.get(id) : this.#scan(collection, id);
    return change?.kind === 'remove' ? change.resource.metadata.created : undefined;
  }

  add(change: Change): void {
    this.changes.push(change);
    if (this.#map !== undefined) this.#index(change);
    else if (this.changes.length > 64) {
      this.#map = new Map();
      for (const c of this.changes) this.#index(c);
    }
  }

  #scan(collection: Collection, id: string): Change | undefined {
    const changes = this.changes;
    for (let i = changes.length - 1; i >= 0; i--) {
      const c = changes[i]!;
      if (c.collection === collection && c.resource.metadata.id === id) return c;
    }
    return undefined;
  }

  #index(change: Change): void {
    const map = this.#map!;
    let changes = map.get(change.collection);
    if (changes === undefined) {
      changes = new Map();
      map.set(change.collection, changes);
    }
    changes.set(change.resource.metadata.id, change);
  }
}

/** The value an op sees: staged by an earlier op of the transaction, else stored. */
export function currentValue(
  staged: Staging | undefined,
  collection: Collection | undefined,
  id: string,
): AnyResource | undefined {
  if (collection === undefined) return undefined;
  const value = staged?.get(collection, id);
  if (value !== undefined) return value ?? undefined;
  return collection.items.get(id);
}
