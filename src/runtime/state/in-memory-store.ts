import { randomBytes } from 'node:crypto';
import type { Observable } from 'rxjs';
import { type Clock, formatTimestamp, wallClock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import { lookupDefinition } from '../resource/define-resource.js';
import {
  metaNamespace,
  metaOwner,
  Namespaces,
  ResourceDefinitions,
  resourceDefinitionResource,
} from '../resource/meta.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';
import { encodeBookmark } from './bookmark.js';
import { Collection, type Watcher } from './collection.js';
import { type HistoryConfig, type HistoryOptions, resolveHistoryOptions } from './history.js';
import { matchesAnyLabelQuery, normalizeLabelQueries } from './label-query.js';
import type {
  CoreState,
  CreateOptions,
  ListOptions,
  OwnerOptions,
  TransactionOp,
  TransactionResult,
  UpdateOptions,
  WatchKindOptions,
  WatchOptions,
} from './state.js';
import type { WatchEvent } from './watch-event.js';
import { watchCollection, watchResource } from './watch-stream.js';
import { checkPointer, planCreate, planDestroy, planUpdate } from './write-plan.js';

/** Options of the in-memory store. */
export interface InMemoryStoreOptions {
  history?: HistoryOptions;
  clock?: Clock;
  /** Register `ResourceDefinition` and `Namespace` resources in `meta` as types and namespaces are first written (default true). */
  registerMeta?: boolean;
}

type Change =
  | { kind: 'put'; collection: Collection; resource: AnyResource; old: AnyResource | undefined }
  | { kind: 'remove'; collection: Collection; resource: AnyResource };

/**
 * The in-memory backend: one {@link Collection} per (namespace, type), each with its own history
 * ring and watchers. Writes are synchronous under the hood (one JS turn is the lock); events reach
 * watchers in a microtask, shared by reference.
 */
export class InMemoryStore implements CoreState {
  readonly cookie = randomBytes(6).readUIntBE(0, 6).toString(36);
  readonly #namespaces = new Map<string, Map<string, Collection>>();
  readonly #history: HistoryConfig;
  readonly #clock: Clock;
  readonly #registerMeta: boolean;
  readonly #knownTypes = new Set<string>();
  readonly #knownNamespaces = new Set<string>();
  #serial = 0;
  #pendingDeliveries = 0;
  #deliveredWaiters: (() => void)[] = [];

  readonly #host = {
    cookie: this.cookie,
    scheduleDelivery: (watcher: Watcher) => {
      this.#pendingDeliveries++;
      queueMicrotask(() => {
        try {
          watcher.deliver();
        } finally {
          this.#deliveryDone();
        }
      });
    },
  };

  constructor(options: InMemoryStoreOptions = {}) {
    this.#history = resolveHistoryOptions(options.history);
    this.#clock = options.clock ?? wallClock;
    this.#registerMeta = options.registerMeta ?? true;
    if (this.#registerMeta) {
      this.#ensureMeta(metaNamespace, ResourceDefinitions.type);
      this.#ensureMeta(metaNamespace, Namespaces.type);
    }
  }

  #collection(namespace: string, type: string): Collection {
    let types = this.#namespaces.get(namespace);
    if (types === undefined) {
      types = new Map();
      this.#namespaces.set(namespace, types);
    }
    let collection = types.get(type);
    if (collection === undefined) {
      collection = new Collection(namespace, type, this.#serial++, this.#history);
      types.set(type, collection);
    }
    return collection;
  }

  #peek(namespace: string, type: string): Collection | undefined {
    return this.#namespaces.get(namespace)?.get(type);
  }

  #now(): string {
    return formatTimestamp(this.#clock.now());
  }

  async get(pointer: Pointer): Promise<never> {
    const p = checkPointer(pointer);
    const found = this.#peek(p.namespace, p.type)?.items.get(p.id);
    if (found === undefined) throw new NotFoundError(p);
    return found as never;
  }

  async list(kind: Kind, options: ListOptions = {}): Promise<never> {
    const collection = this.#peek(kind.namespace, kind.type);
    if (collection === undefined) return emptyList as never;
    const all = collection.sorted();
    const queries = normalizeLabelQueries(options.labelQuery);
    const idQuery = options.idQuery;
    if (queries === undefined && idQuery === undefined) return all as never;
    const out = all.filter(
      (r) =>
        (idQuery === undefined || testId(idQuery, r.metadata.id)) &&
        (queries === undefined || matchesAnyLabelQuery(r.metadata.labels, queries)),
    );
    return Object.freeze(out) as never;
  }

  async create<TRes extends AnyResource>(resource: TRes, options: CreateOptions = {}): Promise<TRes> {
    const [stored] = this.#commit([{ op: 'create', resource, ...options }]);
    return stored as TRes;
  }

  async update<TRes extends AnyResource>(resource: TRes, options: UpdateOptions = {}): Promise<TRes> {
    const [stored] = this.#commit([{ op: 'update', resource, ...options }]);
    return stored as TRes;
  }

  async destroy(pointer: Pointer, options: OwnerOptions = {}): Promise<void> {
    this.#commit([{ op: 'destroy', pointer, ...options }]);
  }

  async transaction(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    if (!Array.isArray(ops)) throw new TypeError('transaction: ops must be an array');
    return this.#commit(ops);
  }

  /**
   * Checks every op against the state as the ops before it leave it, then applies all of them.
   * Nothing is touched until every check has passed.
   */
  #commit(ops: readonly TransactionOp[]): TransactionResult[] {
    const now = this.#now();
    const changes: Change[] = [];
    const results: TransactionResult[] = [];
    // Staged values of ids touched by earlier ops of this commit (null = destroyed).
    const staged = ops.length > 1 ? new Map<Collection, Map<string, AnyResource | null>>() : undefined;
    const current = (collection: Collection | undefined, id: string): AnyResource | undefined => {
      if (collection === undefined) return undefined;
      const s = staged?.get(collection)?.get(id);
      if (s !== undefined) return s ?? undefined;
      return collection.items.get(id);
    };
    const stage = (collection: Collection, id: string, value: AnyResource | null) => {
      if (staged === undefined) return;
      let m = staged.get(collection);
      if (m === undefined) {
        m = new Map();
        staged.set(collection, m);
      }
      m.set(id, value);
    };
    for (const op of ops) {
      switch (op.op) {
        case 'create': {
          const p = checkPointer(op.resource?.metadata ?? {});
          const collection = this.#collection(p.namespace, p.type);
          const old = current(collection, p.id);
          const stored = planCreate(old, op.resource, op.owner ?? '', now);
          changes.push({ kind: 'put', collection, resource: stored, old: undefined });
          stage(collection, p.id, stored);
          results.push(stored);
          break;
        }
        case 'update': {
          const p = checkPointer(op.resource?.metadata ?? {});
          const collection = this.#peek(p.namespace, p.type);
          const old = current(collection, p.id);
          const stored = planUpdate(old, op.resource, op.owner ?? '', op.expectedPhase ?? 'running', now);
          changes.push({ kind: 'put', collection: collection!, resource: stored, old });
          stage(collection!, p.id, stored);
          results.push(stored);
          break;
        }
        case 'destroy': {
          const p = checkPointer(op.pointer ?? {});
          const collection = this.#peek(p.namespace, p.type);
          const gone = planDestroy(current(collection, p.id), p, op.owner ?? '');
          changes.push({ kind: 'remove', collection: collection!, resource: gone });
          stage(collection!, p.id, null);
          results.push(null);
          break;
        }
        default:
          throw new TypeError(`transaction: unknown op ${JSON.stringify((op as { op: unknown }).op)}`);
      }
    }
    for (const change of changes) this.#apply(change);
    if (this.#registerMeta) {
      for (const change of changes) {
        if (change.kind === 'put' && change.old === undefined) {
          this.#ensureMeta(change.collection.namespace, change.collection.type);
        }
      }
    }
    return results;
  }

  #apply(change: Change): void {
    const { collection } = change;
    const h = collection.history;
    if (change.kind === 'put') {
      const { resource, old } = change;
      collection.put(resource);
      const cookie = this.cookie;
      const serial = collection.serial;
      h.append((pos) =>
        old === undefined
          ? { type: 'created', resource, bookmark: encodeBookmark(cookie, serial, pos + 1) }
          : { type: 'updated', resource, old, bookmark: encodeBookmark(cookie, serial, pos + 1) },
      );
    } else {
      const { resource } = change;
      collection.remove(resource.metadata.id);
      h.append((pos) => ({
        type: 'destroyed',
        resource,
        bookmark: encodeBookmark(this.cookie, collection.serial, pos + 1),
      }));
    }
    this.#notify(collection);
  }

  #notify(collection: Collection): void {
    if (collection.notifyScheduled || collection.watchers.size === 0) return;
    collection.notifyScheduled = true;
    this.#pendingDeliveries++;
    queueMicrotask(() => {
      collection.notifyScheduled = false;
      try {
        for (const watcher of collection.watchers) watcher.deliver();
      } finally {
        this.#deliveryDone();
      }
    });
  }

  #deliveryDone(): void {
    if (--this.#pendingDeliveries === 0 && this.#deliveredWaiters.length > 0) {
      const waiters = this.#deliveredWaiters;
      this.#deliveredWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Registers the type's definition and the namespace as meta resources, once per store. */
  #ensureMeta(namespace: string, type: string): void {
    if (!this.#knownTypes.has(type)) {
      this.#knownTypes.add(type);
      const definition = lookupDefinition(type);
      if (definition !== undefined) this.#putMeta(resourceDefinitionResource(definition));
    }
    if (!this.#knownNamespaces.has(namespace)) {
      this.#knownNamespaces.add(namespace);
      this.#putMeta(Namespaces.make(namespace, { description: '' }));
    }
  }

  #putMeta(resource: AnyResource): void {
    const { namespace, type, id } = resource.metadata;
    const collection = this.#collection(namespace, type);
    if (collection.items.has(id)) return;
    const stored = planCreate(undefined, resource, metaOwner, this.#now());
    this.#apply({ kind: 'put', collection, resource: stored, old: undefined });
    this.#ensureMeta(namespace, type);
  }

  watch(pointer: Pointer, options?: WatchOptions): Observable<never> {
    const p = checkPointer(pointer);
    return watchResource(
      this.#host,
      this.#collection(p.namespace, p.type),
      p.id,
      options,
    ) as Observable<never>;
  }

  watchKind(kind: Kind, options?: WatchKindOptions): Observable<never> {
    const collection = this.#collection(kind.namespace, kind.type);
    return watchCollection<WatchEvent>(this.#host, collection, false, options) as Observable<never>;
  }

  watchKindAggregated(kind: Kind, options?: WatchKindOptions): Observable<never> {
    const collection = this.#collection(kind.namespace, kind.type);
    return watchCollection<WatchEvent[]>(this.#host, collection, true, options) as Observable<never>;
  }

  delivered(): Promise<void> {
    if (this.#pendingDeliveries === 0) return Promise.resolve();
    return new Promise((resolve) => this.#deliveredWaiters.push(resolve));
  }
}

const emptyList: readonly AnyResource[] = Object.freeze([]);

function testId(re: RegExp, id: string): boolean {
  re.lastIndex = 0;
  return re.test(id);
}
