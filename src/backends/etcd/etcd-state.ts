import type { Etcd3 } from 'etcd3';
import { type Logger, pino } from 'pino';
import { type Clock, wallClock } from '../../runtime/clock.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { State } from '../../runtime/state/state.js';
import { withStateHelpers } from '../../runtime/state/state-helpers.js';
import { createEtcdClient, defaultCallTimeoutMs, type EtcdConnectionOptions } from './client.js';
import { EtcdStore } from './etcd-store.js';
import { openEtcdWatch } from './etcd-watch.js';

/** Options of {@link createEtcdState}. */
export interface EtcdStateOptions extends EtcdConnectionOptions {
  /** Every key of this store lives under `<prefix>/`; stores with different prefixes are independent. */
  prefix: string;
  /** Time source for timestamps and for watch reconnect backoff (default: the wall clock). */
  clock?: Clock;
  /** Where etcd outages are told, once when one begins and once when it ends (default: pino to stderr). */
  logger?: Logger;
  /** Delays between watch reconnects: from `initialMs` (default 50) doubling up to `maxMs` (default 2,000). */
  watchBackoff?: { initialMs?: number; maxMs?: number };
  /** etcd's `--max-request-bytes` (default 1.5 MiB, etcd's default); larger writes fail with `ValidationError`. */
  maxRequestBytes?: number;
  /** etcd's `--max-txn-ops` (default 128, etcd's default): a transaction may touch at most this many resources. */
  maxTxnOps?: number;
  /** Register resource definitions and namespaces in `meta` as they are first written (default true). */
  registerMeta?: boolean;
  /** The definitions to validate specs with, exactly (default: every `defineResource` of the process). */
  definitions?: readonly AnyResourceDefinition[];
}

/**
 * Creates a state store kept in etcd, shared by every process that uses the same endpoints and prefix.
 *
 * @example
 * ```ts
 * const state = createEtcdState({ endpoints: ['http://127.0.0.1:2379'], prefix: 'converge' });
 * await state.create(Paths.make('a', { value: 1 }));
 * state.watchKind(Paths.kind(), { bootstrapContents: true }).subscribe((e) => log.info(e.type));
 * await state.close?.();
 * ```
 * @remarks Writes are etcd transactions that compare the mod revision of every key they touch, so
 * they are all-or-nothing across processes. Watches resume from their last revision when etcd
 * restarts or the connection drops; calls fail with `EtcdUnavailableError` within `callTimeoutMs`
 * while etcd is down. Tail events are not supported (`UnsupportedError`), as in upstream's state-etcd.
 */
export function createEtcdState(options: EtcdStateOptions): State {
  if (!Array.isArray(options?.endpoints) || options.endpoints.length === 0) {
    throw new TypeError('createEtcdState: endpoints must be a non-empty list of etcd client URLs');
  }
  const client = createEtcdClient(options);
  let store: EtcdStore;
  try {
    store = createStore(client, options);
  } catch (error) {
    client.close();
    throw error;
  }
  return withStateHelpers(store);
}

function createStore(client: Etcd3, options: EtcdStateOptions): EtcdStore {
  return new EtcdStore({
    client,
    endpoints: options.endpoints,
    prefix: options.prefix,
    clock: options.clock ?? wallClock,
    logger: options.logger ?? pino({ level: 'info' }, pino.destination(2)),
    backoff: {
      initialMs: options.watchBackoff?.initialMs ?? 50,
      maxMs: options.watchBackoff?.maxMs ?? 2_000,
    },
    maxRequestBytes: options.maxRequestBytes ?? 1_572_864,
    maxTxnOps: options.maxTxnOps ?? 128,
    registerMeta: options.registerMeta ?? true,
    callTimeoutMs: options.callTimeoutMs ?? defaultCallTimeoutMs,
    definitions: options.definitions,
    openWatch: openEtcdWatch,
  });
}
