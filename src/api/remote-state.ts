import { type Logger, pino } from 'pino';
import type { Observable } from 'rxjs';
import { type Clock, wallClock } from '../runtime/clock.js';
import type { Kind, Pointer } from '../runtime/resource/pointer.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import type {
  CoreState,
  CreateOptions,
  ListOptions,
  OwnerOptions,
  State,
  TransactionOp,
  TransactionResult,
  UpdateOptions,
  WatchKindOptions,
  WatchOptions,
} from '../runtime/state/state.js';
import { withStateHelpers } from '../runtime/state/state-helpers.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';
import { checkPointer } from '../runtime/state/write-plan.js';
import { ApiTransport, type ApiTransportOptions, type Query, withQuery } from './http-client.js';
import {
  type RemoteWatchHost,
  type RemoteWatchSpec,
  remoteWatch,
  type WatchRetryOptions,
} from './remote-watch.js';
import { apiPrefix, resourcePath } from './routes.js';
import type { ApiTlsOptions } from './server.js';
import { freezeWire, labelQueriesToWire } from './wire.js';

/** Options of {@link createRemoteState}. */
export interface RemoteStateOptions extends ApiTransportOptions {
  /** The API's base URL, e.g. `https://127.0.0.1:7443`. */
  url: string;
  /** The CA of the server, and this client's certificate (its role) and key. */
  tls: ApiTlsOptions;
  /** Time of watch backoffs and stall detection (default the wall clock). */
  clock?: Clock;
  /** Defaults to a silent pino logger. */
  logger?: Logger;
  /** How watches resume after dropped connections. */
  watchRetry?: WatchRetryOptions;
}

/** A transaction op as the API's `POST /v1/transaction` takes it. @internal */
export function transactionOpToWire(op: TransactionOp): unknown {
  const base = op.owner !== undefined ? { owner: op.owner } : {};
  switch (op.op) {
    case 'create':
      return { op: 'create', resource: wireBody(op.resource), ...base };
    case 'update':
      return {
        op: 'update',
        resource: wireBody(op.resource),
        ...base,
        ...(op.expectedPhase !== undefined ? { expectedPhase: op.expectedPhase } : {}),
        ...(op.expectedCreated !== undefined ? { expectedCreated: op.expectedCreated } : {}),
      };
    case 'destroy': {
      const p = op.pointer ?? ({} as Pointer);
      return { op: 'destroy', pointer: { namespace: p.namespace, type: p.type, id: p.id }, ...base };
    }
    default:
      throw new TypeError(`transaction: unknown op ${JSON.stringify((op as { op: unknown }).op)}`);
  }
}

/** The parts of a resource the API accepts: exactly the contract's fields. */
function wireBody(resource: AnyResource): unknown {
  const m = resource?.metadata ?? ({} as AnyResource['metadata']);
  return {
    metadata: {
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      version: m.version,
      owner: m.owner,
      phase: m.phase,
      finalizers: m.finalizers,
      labels: m.labels,
      annotations: m.annotations,
    },
    spec: resource?.spec,
  };
}

function listQuery(options: ListOptions = {}): Record<string, string | undefined> {
  const queries = labelQueriesToWire(options.labelQuery);
  const id = options.idQuery;
  return {
    labelQuery: queries === undefined ? undefined : JSON.stringify(queries),
    idQuery: id === undefined ? undefined : id.source,
    idQueryFlags: id === undefined || id.flags === '' ? undefined : id.flags.replace(/[gyd]/g, ''),
  };
}

function flag(value: boolean | undefined): string | undefined {
  return value ? 'true' : undefined;
}

/** The remote backend: every operation of the state contract as a call to the API. */
class RemoteState implements CoreState {
  readonly #transport: ApiTransport;
  readonly #host: RemoteWatchHost;

  constructor(options: RemoteStateOptions) {
    this.#transport = new ApiTransport(options.url, options.tls, options);
    this.#host = {
      transport: this.#transport,
      clock: options.clock ?? wallClock,
      logger: options.logger ?? pino({ level: 'silent' }),
      retry: {
        minBackoffMs: options.watchRetry?.minBackoffMs ?? 50,
        maxBackoffMs: options.watchRetry?.maxBackoffMs ?? 5_000,
        stallTimeoutMs: options.watchRetry?.stallTimeoutMs ?? 45_000,
        maxRetryMs: options.watchRetry?.maxRetryMs ?? 60_000,
      },
      open: new Set(),
      opening: new Set(),
    };
  }

  async get(pointer: Pointer): Promise<never> {
    const p = checkPointer(pointer);
    return freezeWire(await this.#transport.json('GET', resourcePath(p.namespace, p.type, p.id))) as never;
  }

  async list(kind: Kind, options?: ListOptions): Promise<never> {
    const path = withQuery(resourcePath(kind.namespace, kind.type), listQuery(options));
    const { items } = await this.#transport.json<{ items: AnyResource[] }>('GET', path);
    return freezeWire(items) as never;
  }

  /** Waits until the server has fixed the start of every watch this client opened before the write. */
  async #watchesOpened(): Promise<void> {
    if (this.#host.opening.size > 0) await Promise.all([...this.#host.opening]);
  }

  async create<TRes extends AnyResource>(resource: TRes, options: CreateOptions = {}): Promise<TRes> {
    const p = checkPointer(resource?.metadata ?? {});
    await this.#watchesOpened();
    const path = withQuery(resourcePath(p.namespace, p.type), { owner: options.owner || undefined });
    return freezeWire(await this.#transport.json<TRes>('POST', path, wireBody(resource)));
  }

  async update<TRes extends AnyResource>(resource: TRes, options: UpdateOptions = {}): Promise<TRes> {
    const p = checkPointer(resource?.metadata ?? {});
    await this.#watchesOpened();
    const path = withQuery(resourcePath(p.namespace, p.type, p.id), {
      owner: options.owner || undefined,
      expectedPhase: options.expectedPhase,
    });
    return freezeWire(await this.#transport.json<TRes>('PUT', path, wireBody(resource)));
  }

  async destroy(pointer: Pointer, options: OwnerOptions = {}): Promise<void> {
    const p = checkPointer(pointer);
    await this.#watchesOpened();
    await this.#transport.json(
      'DELETE',
      withQuery(resourcePath(p.namespace, p.type, p.id), { owner: options.owner || undefined }),
    );
  }

  async transaction(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    if (!Array.isArray(ops)) throw new TypeError('transaction: ops must be an array');
    const wire = ops.map(transactionOpToWire);
    await this.#watchesOpened();
    const { results } = await this.#transport.json<{ results: TransactionResult[] }>(
      'POST',
      `${apiPrefix}/transaction`,
      {
        ops: wire,
      },
    );
    return freezeWire(results);
  }

  watch(pointer: Pointer, options: WatchOptions = {}): Observable<never> {
    const p = checkPointer(pointer);
    const query: Query = {
      tailEvents: options.tailEvents === undefined ? undefined : String(options.tailEvents),
      startFromBookmark: options.startFromBookmark,
    };
    return remoteWatch<WatchEvent>(this.#host, {
      path: resourcePath(p.namespace, p.type, p.id, true),
      query,
      resumeQuery: {},
      aggregated: false,
      bootstrapContents: false,
      internalNoop: false,
      stripInitialBookmark: options.tailEvents === undefined && options.startFromBookmark === undefined,
    }) as Observable<never>;
  }

  #kindSpec(kind: Kind, options: WatchKindOptions, aggregated: boolean): RemoteWatchSpec {
    const filters = { ...listQuery(options), aggregated: flag(aggregated) };
    // Without a bootstrap, tail or bookmark, a noop tells this client where it started, so that a
    // drop before the first event still resumes without a gap.
    const internalNoop =
      !options.bootstrapContents &&
      !options.bootstrapBookmark &&
      options.tailEvents === undefined &&
      options.startFromBookmark === undefined;
    return {
      path: resourcePath(kind.namespace, kind.type, undefined, true),
      query: {
        ...filters,
        bootstrapContents: flag(options.bootstrapContents),
        bootstrapBookmark: flag(options.bootstrapBookmark || internalNoop),
        tailEvents: options.tailEvents === undefined ? undefined : String(options.tailEvents),
        startFromBookmark: options.startFromBookmark,
      },
      resumeQuery: filters,
      aggregated,
      bootstrapContents: options.bootstrapContents === true,
      internalNoop,
      stripInitialBookmark: false,
    };
  }

  watchKind(kind: Kind, options: WatchKindOptions = {}): Observable<never> {
    return remoteWatch<WatchEvent>(this.#host, this.#kindSpec(kind, options, false)) as Observable<never>;
  }

  watchKindAggregated(kind: Kind, options: WatchKindOptions = {}): Observable<never> {
    return remoteWatch<WatchEvent[]>(this.#host, this.#kindSpec(kind, options, true)) as Observable<never>;
  }

  async close(): Promise<void> {
    for (const watch of [...this.#host.open]) watch.complete();
    this.#transport.close();
  }
}

/**
 * A state store reached over the API: the whole state contract, with the contract's helpers.
 * Errors come back as the engine's error classes; watches resume after dropped connections.
 *
 * @example
 * ```ts
 * const state = createRemoteState({ url: 'https://127.0.0.1:7443', tls: { ca, cert, key } });
 * const items = await state.list(Paths.kind());
 * ```
 */
export function createRemoteState(options: RemoteStateOptions): State {
  return withStateHelpers(new RemoteState(options));
}
