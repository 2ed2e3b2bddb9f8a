import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type { Etcd3, IOptions } from 'etcd3';

let etcd3: typeof Etcd3Module | undefined;

/**
 * The `etcd3` module, loaded on first use: it starts gRPC and parses etcd's protobufs (about a third
 * of a second), which users of the package root who never touch etcd should not pay for.
 */
function loadEtcd3(): typeof Etcd3Module {
  etcd3 ??= createRequire(import.meta.url)('etcd3') as typeof Etcd3Module;
  return etcd3;
}

/** Connection settings of the etcd backend. */
export interface EtcdConnectionOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: readonly string[];
  /** Deadline of each unary call (get, list, write), in ms; default 5,000. Calls never hang longer. */
  callTimeoutMs?: number;
  /** TLS material, as `etcd3` takes it. */
  credentials?: IOptions['credentials'];
  /** User name and password, as `etcd3` takes them. */
  auth?: IOptions['auth'];
}

/** The deadline of a unary etcd call when none is given, in ms. */
export const defaultCallTimeoutMs = 5_000;

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/**
 * A policy that just runs the call: the store decides itself what to retry, since blindly
 * replaying a write whose answer was lost could apply it twice.
 */
const passThrough = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as HostPolicy;

/** Creates the `etcd3` client: bounded call deadlines, fast reconnects, keepalives, no hidden retries. */
export function createEtcdClient(options: EtcdConnectionOptions): Etcd3 {
  const callTimeout = options.callTimeoutMs ?? defaultCallTimeoutMs;
  return new (loadEtcd3().Etcd3)({
    hosts: [...options.endpoints],
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeout }),
    faultHandling: { host: () => passThrough, global: passThrough },
    grpcOptions: {
      // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    },
  });
}

/** etcd could not be reached or did not answer in time; the operation may or may not have applied if it was a write. */
export class EtcdUnavailableError extends Error {
  readonly code = 'EtcdUnavailable' as const;
  constructor(
    readonly operation: string,
    readonly endpoints: readonly string[],
    cause: unknown,
  ) {
    super(
      `etcd state: ${operation} failed, etcd at ${endpoints.join(', ')} is unavailable: ${causeMessage(cause)}${
        writes.has(operation) && timedOut(cause) ? ' (the write may still have been applied)' : ''
      }`,
      { cause },
    );
    this.name = 'EtcdUnavailableError';
  }
}

/** True for {@link EtcdUnavailableError}. */
export const isEtcdUnavailableError = (e: unknown): e is EtcdUnavailableError =>
  e instanceof EtcdUnavailableError;

const writes = new Set(['create', 'update', 'destroy', 'transaction']);

/** A deadline passed after the request left: unlike a refused connection, etcd may have applied it. */
function timedOut(cause: unknown): boolean {
  return cause instanceof Error && cause.constructor === loadEtcd3().GRPCDeadlineExceededError;
}

function causeMessage(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.replace(/^\w*Error: /, '');
}

/** True when an `etcd3` error means "could not talk to etcd" rather than "etcd said no". */
export function isTransportError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { ClientClosedError, EtcdWatchStreamEnded, GRPCGenericError, isRecoverableError } = loadEtcd3();
  if (error instanceof ClientClosedError || error instanceof EtcdWatchStreamEnded) return true;
  if (isRecoverableError(error)) return !/request is too large/.test(error.message);
  // A generic gRPC error with no etcd verdict is a transport failure (for example a reset stream).
  return error.constructor === GRPCGenericError;
}
