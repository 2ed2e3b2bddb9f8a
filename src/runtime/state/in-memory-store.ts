import { randomBytes } from 'node:crypto';
import { defer, type Observable } from 'rxjs';
import { type Clock, formatTimestamp, wallClock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { DefinitionRegistry } from '../resource/definition-registry.js';
import {
  metaNamespace,
  metaOwner,
  Namespaces,
  ResourceDefinitions,
  resourceDefinitionResource,
} from '../resource/meta.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';
import { bookmarkPrefix } from './bookmark.js';
import { Collection, type Watcher } from './collection.js';
import { type HistoryConfig, type HistoryOptions, resolveHistoryOptions } from './history.js';
import { matchesAnyLabelQuery, normalizeLabelQueries } from './label-query.js';
import { RecentGenerations } from './recent-generations.js';
import { type Change, currentValue, Staging } from './staging.js';
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
import { storeDefinitions } from './store-definitions.js';
import type { WatchEvent } from './watch-event.js';
import { watchCollection, watchResource } from './watch-stream.js';
import { checkPointer, planCreate, planDestroy, planUpdate } from './write-plan.js';

/** Options of the in-memory store. */
export interface InMemoryStoreOptions {
  history?: HistoryOptions;
  clock?: Clock;
  /** Register `ResourceDefinition` and `Namespace` resources in `meta` as types and namespaces are first written (default true). */
  registerMeta?: boolean;
  /** The definitions to validate with (default: every `defineResource` of the process). */
  definitions?: readonly AnyResourceDefinition[];
}

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
  readonly #generations = new RecentGenerations();
  readonly #definitions: DefinitionRegistry<AnyResourceDefinition>;
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
    released: (collection: Collection) => this.#dropIfIdle(collection),
  };

  constructor(options: InMemoryStoreOptions = {}) {
    this.#history = resolveHistoryOptions(options.history);
    this.#clock = options.clock ?? wallClock;
    this.#registerMeta = options.registerMeta ?? true;
    this.#definitions = storeDefinitions(options.definitions);
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
      const serial = this.#serial++;
      collection = new Collection(
        namespace,
        type,
        serial,
        this.#history,
        bookmarkPrefix(this.cookie, serial),
      );
      types.set(type, collection);
    }
    return collection;
  }

  #peek(namespace: string, type: string): Collection | undefined {
    return this.#namespaces.get(namespace)?.get(type);
  }

  /**
   * Drops a collection that holds nothing and that nobody watches, history included: kinds that are
   * only read, watched for a while, or written with a refused write must not cost memory for ever.
   */
  #dropIfIdle(collection: Collection): void {
    if (collection.items.size > 0 || collection.watchers.size > 0) return;
    const types = this.#namespaces.get(collection.namespace);
    if (types?.get(collection.type) !== collection) return;
    types.delete(collection.type);
    if (types.size === 0) this.#namespaces.delete(collection.namespace);
  }

  /** After a failed write: drops the collections its ops may have made for nothing. */
  #dropIdleOf(ops: readonly TransactionOp[]): void {
    for (const op of ops) {
      const m = op?.op === 'destroy' ? op.pointer : op?.resource?.metadata;
      if (typeof m?.namespace !== 'string' || typeof m.type !== 'string') continue;
      const collection = this.#peek(m.namespace, m.type);
      if (collection !== undefined) this.#dropIfIdle(collection);
    }
  }

  /** How many (namespace, type) collections the store holds. @internal */
  get collectionCount(): number {
    let count = 0;
    for (const types of this.#namespaces.values()) count += types.size;
    return count;
  }

  /** The definitions this store validates with. */
  get definitions(): DefinitionRegistry<AnyResourceDefinition> {
    return this.#definitions;
  }

  /** Adds a definition to validate with (and lists it in `meta`); a different one for a known type throws. */
  registerDefinition(definition: AnyResourceDefinition): void {
    this.#definitions.register(definition);
    if (this.#registerMeta) {
      this.#knownTypes.add(definition.type);
      this.#putMeta(resourceDefinitionResource(definition));
    }
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
    return this.#commitOne({ op: 'create', resource, owner: options.owner ?? '' }) as TRes;
  }

  async update<TRes extends AnyResource>(resource: TRes, options: UpdateOptions = {}): Promise<TRes> {
    return this.#commitOne({
      op: 'update',
      resource,
      owner: options.owner ?? '',
      expectedPhase: options.expectedPhase ?? 'running',
    }) as TRes;
  }

  async destroy(pointer: Pointer, options: OwnerOptions = {}): Promise<void> {
    this.#commitOne({ op: 'destroy', pointer, owner: options.owner ?? '' });
  }

  async transaction(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    if (!Array.isArray(ops)) throw new TypeError('transaction: ops must be an array');
    const now = this.#now();
    const staged = new Staging();
    // Every op is checked against the state the ops before it leave; nothing is applied until all pass.
    try {
      for (const op of ops) staged.add(this.#plan(op, staged, now));
    } catch (error) {
      this.#dropIdleOf(ops);
      throw error;
    }
    const changes = staged.changes;
    for (const change of changes) this.#apply(change, now);
    for (const change of changes) this.#registered(change);
    for (const change of changes) if (change.kind === 'remove') this.#dropIfIdle(change.collection);
    return changes.map((c) => (c.kind === 'put' ? c.resource : null));
  }

  #commitOne(op: TransactionOp): AnyResource | null {
    const now = this.#now();
    let change: Change;
    try {
      change = this.#plan(op, undefined, now);
    } catch (error) {
      this.#dropIdleOf([op]);
      throw error;
    }
    this.#apply(change, now);
    this.#registered(change);
    if (change.kind === 'remove') {
      this.#dropIfIdle(change.collection);
      return null;
    }
    return change.resource;
  }

  /** Checks one op and computes its change; throws the error the op fails with. */
  #plan(op: TransactionOp, staged: Staging | undefined, now: string): Change {
    let change: Change;
    switch (op?.op) {
      case 'create': {
        const p = checkPointer(op.resource?.metadata ?? {});
        const collection = this.#collection(p.namespace, p.type);
        const stored = planCreate(
          currentValue(staged, collection, p.id),
          op.resource,
          op.owner ?? '',
          this.#generations.createdFor(
            p.namespace,
            p.type,
            p.id,
            now,
            staged?.destroyedCreated(collection, p.id),
          ),
          this.#definitions,
        );
        change = { kind: 'put', collection, resource: stored, old: undefined };
        break;
      }
      case 'update': {
        const p = checkPointer(op.resource?.metadata ?? {});
        const collection = this.#peek(p.namespace, p.type);
        const old = currentValue(staged, collection, p.id);
        const stored = planUpdate(
          old,
          op.resource,
          op.owner ?? '',
          op.expectedPhase ?? 'running',
          now,
          this.#definitions,
          op.expectedCreated,
        );
        change = { kind: 'put', collection: collection!, resource: stored, old };
        break;
      }
      case 'destroy': {
        const p = checkPointer(op.pointer ?? {});
        const collection = this.#peek(p.namespace, p.type);
        const gone = planDestroy(currentValue(staged, collection, p.id), p, op.owner ?? '');
        change = { kind: 'remove', collection: collection!, resource: gone };
        break;
      }
      default:
        throw new TypeError(`transaction: unknown op ${JSON.stringify((op as { op?: unknown })?.op)}`);
    }
    return change;
  }

  /** After a create, registers the type and namespace in `meta` (once per store). */
  #registered(change: Change): void {
    const { collection } = change;
    if (
      this.#registerMeta &&
      !collection.metaRegistered &&
      change.kind === 'put' &&
      change.old === undefined
    ) {
      this.#ensureMeta(collection.namespace, collection.type);
      collection.metaRegistered = true;
    }
  }

  #apply(change: Change, now: string): void {
    const { collection } = change;
    const h = collection.history;
    const bookmark = collection.bookmarkPrefix + (h.writePos + 1);
    if (change.kind === 'put') {
      const { resource, old } = change;
      collection.put(resource, old === undefined);
      h.append(
        old === undefined
          ? { type: 'created', resource, bookmark }
          : { type: 'updated', resource, old, bookmark },
      );
    } else {
      const { resource } = change;
      const m = resource.metadata;
      collection.remove(m.id);
      this.#generations.destroyed(m.namespace, m.type, m.id, m.created, now);
      h.append({ type: 'destroyed', resource, bookmark });
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
      const definition = this.#definitions.lookup(type);
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
    const now = this.#now();
    const stored = planCreate(undefined, resource, metaOwner, now, this.#definitions);
    this.#apply({ kind: 'put', collection, resource: stored, old: undefined }, now);
    this.#ensureMeta(namespace, type);
  }

  // The collection is looked up at subscribe time: until then it may not exist, or be dropped.
  watch(pointer: Pointer, options?: WatchOptions): Observable<never> {
    const p = checkPointer(pointer);
    return defer(() =>
      watchResource(this.#host, this.#collection(p.namespace, p.type), p.id, options),
    ) as Observable<never>;
  }

  watchKind(kind: Kind, options?: WatchKindOptions): Observable<never> {
    return defer(() =>
      watchCollection<WatchEvent>(this.#host, this.#collection(kind.namespace, kind.type), false, options),
    ) as Observable<never>;
  }

  watchKindAggregated(kind: Kind, options?: WatchKindOptions): Observable<never> {
    return defer(() =>
      watchCollection<WatchEvent[]>(this.#host, this.#collection(kind.namespace, kind.type), true, options),
    ) as Observable<never>;
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
