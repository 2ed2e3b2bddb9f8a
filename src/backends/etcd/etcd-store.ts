import type { Etcd3, IRangeResponse } from 'etcd3';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { Clock } from '../../runtime/clock.js';
import { NotFoundError } from '../../runtime/errors.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { DefinitionRegistry } from '../../runtime/resource/definition-registry.js';
import type { Kind, Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { matchesAnyLabelQuery, normalizeLabelQueries } from '../../runtime/state/label-query.js';
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
} from '../../runtime/state/state.js';
import { storeDefinitions } from '../../runtime/state/store-definitions.js';
import { checkPointer } from '../../runtime/state/write-plan.js';
import { bookmarkTag } from './bookmark.js';
import { EtcdUnavailableError, isEtcdUnavailableError, isTransportError } from './client.js';
import { decodeResource } from './codec.js';
import { type CommitContext, commitOps, tooLarge } from './commit.js';
import { revisionsOf } from './generation-created.js';
import { KeyCache } from './key-cache.js';
import { isResourceKey, KeyLayout, rangeEnd } from './keys.js';
import { MetaRegistry } from './meta-registry.js';
import { OutageLog } from './outage-log.js';
import type { BackoffOptions } from './raw-watch.js';
import type { WatchTarget } from './watch-options.js';

/** Settings of an {@link EtcdStore}, resolved. */
export interface EtcdStoreConfig {
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  readonly registerMeta: boolean;
  readonly callTimeoutMs: number;
  /** The definitions to validate with (default: every `defineResource` of the process). */
  readonly definitions?: readonly AnyResourceDefinition[] | undefined;
  /** Opens an etcd watch of this store; passed in so the store and its watches do not import each other. */
  readonly openWatch: <T>(store: EtcdStore, target: WatchTarget, aggregated: boolean) => Observable<T>;
}

/** What the store knows of an open watch. */
export interface WatchHandle {
  /** Ends the watch (its stream completes). */
  end(): void;
  /** Resolves once the watch has delivered everything up to `revision` (or ended). */
  reached(revision: number): Promise<void>;
}

/** Keys per range page when listing a kind. */
const pageSize = 5_000;

/**
 * The etcd backend of {@link CoreState}: one etcd key per resource, writes as etcd transactions that
 * compare every touched key's mod_revision, watches as etcd watches with a snapshot at their start.
 */
export class EtcdStore implements CoreState {
  readonly client: Etcd3;
  readonly layout: KeyLayout;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
  /** Logs each etcd outage once, and its end. */
  readonly outage: OutageLog;
  readonly #config: EtcdStoreConfig;
  readonly #cache = new KeyCache();
  readonly #pins = new Set<Promise<unknown>>();
  readonly #watches = new Set<WatchHandle>();
  readonly #commit: CommitContext;
  readonly #meta: MetaRegistry | undefined;
  /** The definitions this store validates with. */
  readonly definitions: DefinitionRegistry<AnyResourceDefinition>;
  #closed = false;

  constructor(config: EtcdStoreConfig) {
    this.#config = config;
    this.client = config.client;
    this.layout = new KeyLayout(config.prefix);
    this.clock = config.clock;
    this.logger = config.logger;
    this.backoff = config.backoff;
    this.outage = new OutageLog(config.logger, config.clock, config.endpoints);
    this.definitions = storeDefinitions(config.definitions);
    this.#meta = config.registerMeta ? new MetaRegistry(this.layout, this.definitions) : undefined;
    this.#commit = {
      client: config.client,
      layout: this.layout,
      clock: config.clock,
      cache: this.#cache,
      definitions: this.definitions,
      meta: this.#meta,
      maxRequestBytes: config.maxRequestBytes,
      maxTxnOps: config.maxTxnOps,
      call: (operation, fn, pointer) => this.#call(operation, fn, pointer),
    };
  }

  /** Adds a definition to validate with; a different one for a known type throws. */
  registerDefinition(definition: AnyResourceDefinition): void {
    this.definitions.register(definition);
    this.#meta?.definitionAdded(definition.type);
  }

  async get(pointer: Pointer): Promise<never> {
    const p = checkPointer(pointer);
    const resource = await this.readKey(p);
    if (resource === undefined) throw new NotFoundError(p);
    return resource as never;
  }

  async list(kind: Kind, options: ListOptions = {}): Promise<never> {
    const resources = await this.readKind(kind);
    const queries = normalizeLabelQueries(options.labelQuery);
    const idQuery = options.idQuery;
    if (queries === undefined && idQuery === undefined) return resources as never;
    const out = resources.filter((r) => {
      if (idQuery !== undefined) {
        idQuery.lastIndex = 0;
        if (!idQuery.test(r.metadata.id)) return false;
      }
      return queries === undefined || matchesAnyLabelQuery(r.metadata.labels, queries);
    });
    return Object.freeze(out) as never;
  }

  async create<TRes extends AnyResource>(resource: TRes, options: CreateOptions = {}): Promise<TRes> {
    const [stored] = await this.#write([{ op: 'create', resource, ...options }], 'create');
    return stored as TRes;
  }

  async update<TRes extends AnyResource>(resource: TRes, options: UpdateOptions = {}): Promise<TRes> {
    const [stored] = await this.#write([{ op: 'update', resource, ...options }], 'update');
    return stored as TRes;
  }

  async destroy(pointer: Pointer, options: OwnerOptions = {}): Promise<void> {
    await this.#write([{ op: 'destroy', pointer, ...options }], 'destroy');
  }

  async transaction(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    if (!Array.isArray(ops)) throw new TypeError('transaction: ops must be an array');
    return this.#write(ops, 'transaction');
  }

  watch(pointer: Pointer, options: WatchOptions = {}): Observable<never> {
    const p = checkPointer(pointer);
    const kind = { namespace: p.namespace, type: p.type };
    return this.#config.openWatch(this, { mode: 'resource', kind, id: p.id, options }, false);
  }

  watchKind(kind: Kind, options: WatchKindOptions = {}): Observable<never> {
    return this.#config.openWatch(this, { mode: 'kind', kind: plainKind(kind), options }, false);
  }

  watchKindAggregated(kind: Kind, options: WatchKindOptions = {}): Observable<never> {
    return this.#config.openWatch(this, { mode: 'kind', kind: plainKind(kind), options }, true);
  }

  /**
   * Resolves once every change committed to etcd before the call has been handed to every open
   * watch of this store (etcd confirms the progress of watches that saw nothing).
   */
  async delivered(): Promise<void> {
    if (this.#watches.size === 0) return;
    const res = await this.#call('delivered', () => this.client.kv.range({ key: this.layout.rootKey() }));
    const revision = Number(res.header.revision);
    await Promise.all([...this.#watches].map((w) => w.reached(revision)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#watches]) w.end();
    this.client.close();
  }

  // ---- used by the watches ----

  /** The bookmark tag of a kind of this store on the cluster `clusterId`. */
  tag(kind: Kind, clusterId: string): string {
    return bookmarkTag(clusterId, this.#config.prefix, kind.namespace, kind.type);
  }

  /** Registers an open watch for `close()` and `delivered()`; returns the unregistration. */
  trackWatch(handle: WatchHandle): () => void {
    this.#watches.add(handle);
    return () => this.#watches.delete(handle);
  }

  /** Makes this store's writes wait for `promise` (a watch being registered with etcd). */
  pin(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.#pins.add(settled);
    void settled.then(() => this.#pins.delete(settled));
  }

  /** Runs `first`, then `again` after a backoff for as long as etcd is unavailable and `stop()` is false. */
  async retryUnavailable<T>(
    what: string,
    first: Promise<T>,
    again: () => Promise<T>,
    stop: () => boolean,
  ): Promise<T | undefined> {
    let delay = this.backoff.initialMs;
    let attempt = first;
    for (;;) {
      try {
        return await attempt;
      } catch (error) {
        if (!isEtcdUnavailableError(error) || this.#closed) throw error;
        if (stop()) return undefined;
        this.outage.down(what, error);
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
        delay = Math.min(this.backoff.maxMs, delay * 2);
        if (stop()) return undefined;
        attempt = again();
      }
    }
  }

  /** One resource, linearizably (or at an etcd revision). */
  async readKey(pointer: Pointer, revision = 0): Promise<AnyResource | undefined> {
    const key = this.layout.key(pointer);
    const res = await this.#call('get', () => this.client.kv.range({ key, revision }));
    const kv = res.kvs[0];
    const resource = kv === undefined ? undefined : decodeResource(kv.value, kv.key, revisionsOf(kv));
    if (revision === 0) this.#cache.remember(key, kv === undefined ? 0 : Number(kv.mod_revision), resource);
    return resource;
  }

  /** Every resource of a kind, sorted by id, read in pages at one revision (the latest, or the one given). */
  async readKind(kind: Kind, revision = 0): Promise<readonly AnyResource[]> {
    const prefix = this.layout.kindPrefix(kind);
    const end = rangeEnd(prefix);
    for (let attempt = 0; ; attempt++) {
      const resources: AnyResource[] = [];
      let at = revision;
      let from = prefix;
      try {
        for (;;) {
          const res: IRangeResponse = await this.#call('list', () =>
            this.client.kv.range({ key: from, range_end: end, limit: pageSize, revision: at }),
          );
          if (at === 0) at = Number(res.header.revision);
          for (const kv of res.kvs) {
            if (!isResourceKey(prefix, kv.key)) continue;
            resources.push(decodeResource(kv.value, kv.key, revisionsOf(kv)));
          }
          if (!res.more || res.kvs.length === 0) break;
          from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
        }
      } catch (error) {
        // Compaction between pages of a latest read: read again at a newer revision.
        if (revision === 0 && attempt < 3 && error instanceof Error && /compacted/.test(error.message))
          continue;
        throw error;
      }
      resources.sort(byId);
      return Object.freeze(resources);
    }
  }

  async #write(ops: readonly TransactionOp[], operation: string): Promise<TransactionResult[]> {
    if (this.#pins.size > 0) await this.#waitForPins();
    return commitOps(this.#commit, ops, operation);
  }

  /**
   * Waits for watches being registered, at most one call timeout: an etcd that does not answer
   * (frozen, partitioned) must fail the write with its deadline, not hold it here.
   */
  async #waitForPins(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => {
      // Real time, as the gRPC deadlines are: this bounds a network wait, not store logic.
      timer = setTimeout(resolve, this.#config.callTimeoutMs);
      timer.unref?.();
    });
    try {
      await Promise.race([Promise.all(this.#pins), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one etcd call, turning transport failures into {@link EtcdUnavailableError}. */
  async #call<T>(operation: string, fn: () => Promise<T>, pointer?: Pointer): Promise<T> {
    if (this.#closed) throw new Error(`etcd state: ${operation} after close()`);
    try {
      const result = await fn();
      this.outage.up();
      return result;
    } catch (error) {
      if (error instanceof Error && /request is too large/.test(error.message) && pointer !== undefined) {
        throw tooLarge(pointer, undefined, this.#config.maxRequestBytes, error);
      }
      if (isTransportError(error)) {
        const unavailable = new EtcdUnavailableError(operation, this.#config.endpoints, error);
        this.outage.down(operation, unavailable);
        throw unavailable;
      }
      throw error;
    }
  }
}

function byId(a: AnyResource, b: AnyResource): number {
  const x = a.metadata.id;
  const y = b.metadata.id;
  return x < y ? -1 : x > y ? 1 : 0;
}

function plainKind(kind: Kind): Kind {
  return { namespace: kind.namespace, type: kind.type };
}
