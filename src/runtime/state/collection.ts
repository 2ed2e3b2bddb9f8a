import type { AnyResource } from '../resource/resource.js';
import { History, type HistoryConfig } from './history.js';
import { IdOrder } from './id-order.js';
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
 * The resources of one (namespace, type): a map by id, its id order for `list`, the history ring,
 * and the watchers reading it.
 */
export class Collection {
  readonly items = new Map<string, AnyResource>();
  readonly history: History;
  readonly watchers = new Set<Watcher>();
  notifyScheduled = false;
  /** The collection's type and namespace are registered in `meta` (the store checks once per collection). */
  metaRegistered = false;
  readonly #order = new IdOrder(this.items);
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
    this.items.set(id, resource);
    this.#sorted = null;
    if (isNew) this.#order.added(id);
  }

  /** Removes a resource. */
  remove(id: string): void {
    const gone = this.items.get(id);
    if (gone === undefined) return;
    this.items.delete(id);
    this.#order.removed(id);
    this.#sorted = null;
  }

  /** Every resource sorted by id, as one frozen array shared until the next change. */
  sorted(): readonly AnyResource[] {
    if (this.#sorted === null) this.#sorted = Object.freeze(this.#order.sortedValues());
    return this.#sorted;
  }
}
