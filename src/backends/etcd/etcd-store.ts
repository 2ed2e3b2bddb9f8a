import type { Etcd3, ICompare, IKeyValue, IRangeResponse, IRequestOp } from 'etcd3';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { type Clock, formatTimestamp } from '../../runtime/clock.js';
import { ConflictError, NotFoundError, UnsupportedError, ValidationError } from '../../runtime/errors.js';
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
import { checkPointer } from '../../runtime/state/write-plan.js';
import { bookmarkTag } from './bookmark.js';
import { EtcdUnavailableError, isEtcdUnavailableError, isTransportError } from './client.js';
import { decodeResource } from './codec.js';
import { type KeyState, keysOfOps, planCommit } from './commit-plan.js';
import { openEtcdWatch } from './etcd-watch.js';
import { isResourceKey, KeyLayout, rangeEnd } from './keys.js';
import { type MetaOps, MetaRegistry } from './meta-registry.js';
import type { BackoffOptions } from './raw-watch.js';

/** What the store knows of an open watch. */
export interface WatchHandle {
  /** Ends the watch (its stream completes). */
  end(): void;
  /** Resolves once the watch has delivered everything up to `revision` (or ended). */
  reached(revision: number): Promise<void>;
}

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
}

interface CacheEntry {
  readonly modRevision: number;
  readonly resource: AnyResource | undefined;
}

/** Keys per range page when listing a kind. */
const pageSize = 1_000;
/** Cached key states kept for optimistic writes. */
const cacheLimit = 10_000;
/** Compare failures a commit retries before giving up. */
const maxCommitAttempts = 100;
/** What etcd adds to a request beyond keys and values, per op and per request (an upper bound). */
const opOverhead = 32;
const requestOverhead = 256;

/**
 * The etcd backend of {@link CoreState}: one etcd key per resource, writes as etcd transactions that
 * compare every touched key's mod_revision, watches as etcd watches from a read revision.
 */
export class EtcdStore implements CoreState {
  readonly client: Etcd3;
  readonly layout: KeyLayout;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
  readonly #config: EtcdStoreConfig;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #pins = new Set<Promise<unknown>>();
  readonly #watches = new Set<WatchHandle>();
  readonly #meta: MetaRegistry;
  #closed = false;

  constructor(config: EtcdStoreConfig) {
    this.#config = config;
    this.client = config.client;
    this.layout = new KeyLayout(config.prefix);
    this.clock = config.clock;
    this.logger = config.logger;
    this.backoff = config.backoff;
    this.#meta = new MetaRegistry(this.layout);
  }

  async get(pointer: Pointer): Promise<never> {
    const p = checkPointer(pointer);
    const read = await this.readKey(p);
    if (read.kv === undefined) throw new NotFoundError(p);
    return read.resource as never;
  }

  async list(kind: Kind, options: ListOptions = {}): Promise<never> {
    const { resources } = await this.readKind(kind);
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
    const [stored] = await this.#commit([{ op: 'create', resource, ...options }], 'create');
    return stored as TRes;
  }

  async update<TRes extends AnyResource>(resource: TRes, options: UpdateOptions = {}): Promise<TRes> {
    const [stored] = await this.#commit([{ op: 'update', resource, ...options }], 'update');
    return stored as TRes;
  }

  async destroy(pointer: Pointer, options: OwnerOptions = {}): Promise<void> {
    await this.#commit([{ op: 'destroy', pointer, ...options }], 'destroy');
  }

  async transaction(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    if (!Array.isArray(ops)) throw new TypeError('transaction: ops must be an array');
    return this.#commit(ops, 'transaction');
  }

  watch(pointer: Pointer, options: WatchOptions = {}): Observable<never> {
    const p = checkPointer(pointer);
    const kind = { namespace: p.namespace, type: p.type };
    return openEtcdWatch(this, { mode: 'resource', kind, id: p.id, options }, false);
  }

  watchKind(kind: Kind, options: WatchKindOptions = {}): Observable<never> {
    return openEtcdWatch(this, { mode: 'kind', kind: plainKind(kind), options }, false);
  }

  watchKindAggregated(kind: Kind, options: WatchKindOptions = {}): Observable<never> {
    return openEtcdWatch(this, { mode: 'kind', kind: plainKind(kind), options }, true);
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

  /** Makes this store's writes wait for `promise` (a watch's start read). */
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
        this.logger.warn({ err: error, retryInMs: delay }, `etcd state: ${what} failed; retrying`);
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
        delay = Math.min(this.backoff.maxMs, delay * 2);
        if (stop()) return undefined;
        attempt = again();
      }
    }
  }

  /** The current revision and cluster id, by reading a key that never exists. */
  async head(kind: Kind): Promise<{ revision: number; clusterId: string }> {
    const res = await this.#call('watch', () => this.client.kv.range({ key: this.layout.kindPrefix(kind) }));
    return { revision: Number(res.header.revision), clusterId: res.header.cluster_id };
  }

  /** One key, linearizably. */
  async readKey(pointer: Pointer): Promise<{
    kv: IKeyValue | undefined;
    resource: AnyResource | undefined;
    revision: number;
    clusterId: string;
  }> {
    const key = this.layout.key(pointer);
    const res = await this.#call('get', () => this.client.kv.range({ key }));
    const kv = res.kvs[0];
    const resource = kv === undefined ? undefined : decodeResource(kv.value, kv.key);
    this.#remember(key, kv === undefined ? 0 : Number(kv.mod_revision), resource);
    return { kv, resource, revision: Number(res.header.revision), clusterId: res.header.cluster_id };
  }

  /** Every resource of a kind at one revision, sorted by id, read in pages. */
  async readKind(
    kind: Kind,
  ): Promise<{ resources: readonly AnyResource[]; revision: number; clusterId: string }> {
    const prefix = this.layout.kindPrefix(kind);
    const end = rangeEnd(prefix);
    for (let attempt = 0; ; attempt++) {
      const resources: AnyResource[] = [];
      let first: IRangeResponse | undefined;
      let from = prefix;
      try {
        for (;;) {
          const revision = first === undefined ? 0 : first.header.revision;
          const res = await this.#call('list', () =>
            this.client.kv.range({ key: from, range_end: end, limit: pageSize, revision }),
          );
          first ??= res;
          for (const kv of res.kvs) {
            if (!isResourceKey(prefix, kv.key)) continue;
            const resource = decodeResource(kv.value, kv.key);
            resources.push(resource);
            this.#remember(kv.key, Number(kv.mod_revision), resource);
          }
          if (!res.more || res.kvs.length === 0) break;
          from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
        }
      } catch (error) {
        // Compaction between pages: read again at a newer revision.
        if (attempt < 3 && error instanceof Error && /compacted/.test(error.message)) continue;
        throw error;
      }
      resources.sort(byId);
      return {
        resources: Object.freeze(resources),
        revision: Number(first!.header.revision),
        clusterId: first!.header.cluster_id,
      };
    }
  }

  // ---- writes ----

  async #commit(ops: readonly TransactionOp[], operation: string): Promise<TransactionResult[]> {
    if (this.#pins.size > 0) await Promise.all(this.#pins);
    const now = formatTimestamp(this.clock.now());
    const keys = keysOfOps(ops, this.layout);
    const maxOps = this.#config.maxTxnOps;
    if (keys.size > maxOps) {
      throw new UnsupportedError(
        kindOf(firstPointer(ops)),
        `a transaction touching ${keys.size} resources (etcd takes at most ${maxOps} per transaction, --max-txn-ops)`,
      );
    }
    let trustGuesses = true;
    for (let attempt = 1; ; attempt++) {
      const states = await this.#keyStates(keys, trustGuesses);
      const guessed = [...states.values()].some((s) => !s.fresh);
      let plan: ReturnType<typeof planCommit>;
      try {
        plan = planCommit(ops, now, this.layout, states);
      } catch (error) {
        // A refusal must come from etcd's real state, never from a guess.
        if (!guessed) throw error;
        trustGuesses = false;
        continue;
      }
      const meta = this.#config.registerMeta ? this.#meta.ops(plan, now) : noMeta;
      if (plan.writes.length === 0 && plan.records.length === 0 && meta.ops.length === 0) {
        if (!guessed) return plan.results;
        trustGuesses = false;
        continue;
      }
      const compare: ICompare[] = plan.compares.map((s) => ({
        key: s.key,
        target: 'Mod',
        result: 'Equal',
        mod_revision: s.modRevision,
      }));
      const success: IRequestOp[] = plan.writes.map((w) =>
        w.value === null
          ? { request_delete_range: { key: w.key } }
          : { request_put: { key: w.key, value: w.value } },
      );
      for (const r of plan.records) success.push({ request_put: { key: r.key, value: r.value } });
      if (success.length > maxOps) {
        throw new UnsupportedError(
          kindOf(firstPointer(ops)),
          `a transaction of ${success.length} etcd writes (etcd takes at most ${maxOps} per transaction, --max-txn-ops)`,
        );
      }
      const bytes = this.#checkSize(plan);
      if (success.length + meta.ops.length <= maxOps && bytes + meta.bytes <= this.#config.maxRequestBytes) {
        success.push(...meta.ops);
      } else if (meta.ops.length > 0) {
        // No room in this transaction: register ahead; "create if absent" is harmless to repeat.
        await this.#call(operation, () => this.client.kv.txn({ success: meta.ops }));
      }
      const res = await this.#call(
        operation,
        () => this.client.kv.txn({ compare, success }),
        plan.writes[0]?.pointer,
      );
      if (res.succeeded) {
        const revision = Number(res.header.revision);
        meta.commit();
        const stored = new Map<AnyResource, AnyResource>();
        for (const w of plan.writes) {
          const resource = w.value === null ? undefined : decodeResource(w.value, w.key);
          if (resource !== undefined && w.resource !== undefined) stored.set(w.resource, resource);
          this.#remember(w.key, w.value === null ? 0 : revision, resource);
        }
        return plan.results.map((r) => (r === null ? null : (stored.get(r) ?? roundTrip(r))));
      }
      for (const name of keys.keys()) this.#cache.delete(name);
      trustGuesses = false;
      if (attempt >= maxCommitAttempts) {
        throw new ConflictError(
          plan.writes[0]?.pointer ?? firstPointer(ops),
          `gave up after ${attempt} compare-and-swap attempts lost to concurrent writers`,
        );
      }
    }
  }

  /** Key states for a commit: cached or assumed when allowed, else read in one etcd request. */
  async #keyStates(
    keys: Map<string, { key: Buffer; assumeAbsent: boolean }>,
    trustGuesses: boolean,
  ): Promise<Map<string, KeyState>> {
    const states = new Map<string, KeyState>();
    const toRead: { name: string; key: Buffer }[] = [];
    for (const [name, { key, assumeAbsent }] of keys) {
      const cached = trustGuesses ? this.#cache.get(name) : undefined;
      if (cached !== undefined) {
        states.set(name, state(key, cached.resource, cached.modRevision, false));
      } else if (trustGuesses && assumeAbsent) {
        states.set(name, state(key, undefined, 0, false));
      } else {
        toRead.push({ name, key });
      }
    }
    if (toRead.length === 0) return states;
    const kvsOf = async (): Promise<(IKeyValue | undefined)[]> => {
      if (toRead.length === 1) {
        const res = await this.#call('read', () => this.client.kv.range({ key: toRead[0]!.key }));
        return [res.kvs[0]];
      }
      const res = await this.#call('read', () =>
        this.client.kv.txn({ success: toRead.map(({ key }) => ({ request_range: { key } })) }),
      );
      return res.responses.map((r) => r.response_range.kvs[0]);
    };
    const kvs = await kvsOf();
    toRead.forEach(({ name, key }, i) => {
      const kv = kvs[i];
      const resource = kv === undefined ? undefined : decodeResource(kv.value, kv.key);
      const modRevision = kv === undefined ? 0 : Number(kv.mod_revision);
      this.#remember(key, modRevision, resource);
      states.set(name, state(key, resource, modRevision, true));
    });
    return states;
  }

  /** The request size of a plan (an upper bound); throws `ValidationError` past etcd's limit. */
  #checkSize(plan: ReturnType<typeof planCommit>): number {
    let bytes = requestOverhead;
    let largest = plan.writes[0];
    for (const s of plan.compares) bytes += s.key.length + opOverhead;
    for (const w of plan.writes) {
      bytes += w.key.length + (w.value?.length ?? 0) + opOverhead;
      if ((w.value?.length ?? 0) > (largest?.value?.length ?? 0)) largest = w;
    }
    for (const r of plan.records) bytes += r.key.length + r.value.length + opOverhead;
    const limit = this.#config.maxRequestBytes;
    if (bytes > limit && largest !== undefined) throw tooLarge(largest.pointer, bytes, limit);
    return bytes;
  }

  #remember(key: Buffer, modRevision: number, resource: AnyResource | undefined): void {
    const name = key.toString('latin1');
    this.#cache.delete(name);
    this.#cache.set(name, { modRevision, resource });
    if (this.#cache.size > cacheLimit) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }

  /** Runs one etcd call, turning transport failures into {@link EtcdUnavailableError}. */
  async #call<T>(operation: string, fn: () => Promise<T>, pointer?: Pointer): Promise<T> {
    if (this.#closed) throw new Error(`etcd state: ${operation} after close()`);
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Error && /request is too large/.test(error.message) && pointer !== undefined) {
        throw tooLarge(pointer, undefined, this.#config.maxRequestBytes, error);
      }
      if (isTransportError(error)) throw new EtcdUnavailableError(operation, this.#config.endpoints, error);
      throw error;
    }
  }
}

function state(key: Buffer, current: AnyResource | undefined, modRevision: number, fresh: boolean): KeyState {
  return {
    key,
    current,
    modRevision,
    fresh,
  };
}

function tooLarge(
  pointer: Pointer,
  bytes: number | undefined,
  limit: number,
  cause?: unknown,
): ValidationError {
  const size = bytes === undefined ? 'the write' : `the write needs about ${bytes} bytes and`;
  return new ValidationError(
    pointer,
    [
      {
        path: [],
        message: `too large for etcd: ${size} etcd accepts at most ${limit} bytes per request (--max-request-bytes)`,
      },
    ],
    cause === undefined ? undefined : { cause },
  );
}

function roundTrip(resource: AnyResource): AnyResource {
  return decodeResource(
    Buffer.from(JSON.stringify({ metadata: resource.metadata, spec: resource.spec })),
    Buffer.alloc(0),
  );
}

function byId(a: AnyResource, b: AnyResource): number {
  const x = a.metadata.id;
  const y = b.metadata.id;
  return x < y ? -1 : x > y ? 1 : 0;
}

const noMeta: MetaOps = { ops: [], bytes: 0, commit: () => {} };

function firstPointer(ops: readonly TransactionOp[]): Pointer {
  const op = ops[0] as Partial<{ op: string; pointer: Pointer; resource: { metadata: Pointer } }> | undefined;
  const p = op?.op === 'destroy' ? op.pointer : op?.resource?.metadata;
  return { namespace: String(p?.namespace ?? ''), type: String(p?.type ?? ''), id: String(p?.id ?? '') };
}

function kindOf(pointer: Pointer): Kind {
  return { namespace: String(pointer?.namespace ?? ''), type: String(pointer?.type ?? '') };
}

function plainKind(kind: Kind): Kind {
  return { namespace: kind.namespace, type: kind.type };
}
