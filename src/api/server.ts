import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { type Logger, pino } from 'pino';
import { type Clock, wallClock } from '../runtime/clock.js';
import type { CoreState } from '../runtime/state/state.js';
import { withStateHelpers } from '../runtime/state/state-helpers.js';
import { AccessPolicy, type ClientIdentity } from './access-policy.js';
import { ApiError, errorToWire } from './api-error.js';
import { DeleteReaper } from './delete-reaper.js';
import { sendError } from './http-io.js';
import { type ApiLimits, type ResolvedLimits, resolveLimits } from './limits.js';
import type { RequestContext } from './request-context.js';
import { handleResourceRoute } from './resource-handlers.js';
import { roleFromOrganizations } from './roles.js';
import { matchRoute } from './routes.js';
import { handleWatch, WatchRegistry } from './watch-handler.js';

/** PEM material of one TLS endpoint: the CA that signs the peers, our certificate and key. */
export interface ApiTlsOptions {
  readonly ca: string | Buffer;
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  /** The store to serve: any backend of the state contract. */
  state: CoreState;
  /** The server's certificate and key, and the CA whose client certificates are accepted. */
  tls: ApiTlsOptions;
  /** The address to listen on (default `127.0.0.1`). */
  host?: string;
  /** The port (default 0: chosen at run time). */
  port?: number;
  limits?: ApiLimits;
  /** Defaults to a silent pino logger. */
  logger?: Logger;
  /** Time of heartbeats and retries (default the wall clock). */
  clock?: Clock;
  /**
   * More routes beside the resource API (the node's own endpoints): asked first for every
   * authenticated request; resolves `true` when it answered the request.
   */
  extension?: ApiExtension;
}

/** One authenticated request as an {@link ApiExtension} sees it. */
export interface ApiExtensionRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The path without the query string. */
  readonly path: string;
  /** The query string without `?`. */
  readonly search: string;
  readonly identity: ClientIdentity;
  readonly limits: ResolvedLimits;
  /** Aborted when the server closes: streaming answers end then. */
  readonly closing: AbortSignal;
}

/** Routes added to the API server; a throw is answered as the resource API answers its errors. */
export type ApiExtension = (request: ApiExtensionRequest) => Promise<boolean>;

/** A running API server. */
export interface ApiServer {
  /** Starts listening; resolves with the base URL (`https://127.0.0.1:<port>`). */
  listen(): Promise<string>;
  /** The base URL; valid after `listen()`. */
  readonly url: string;
  /** The port; valid after `listen()`. */
  readonly port: number;
  /** Open TLS connections and watch streams. */
  stats(): { connections: number; watches: number };
  /** Ends every watch stream (clients resume elsewhere or later), closes every connection, stops listening. */
  close(): Promise<void>;
}

function identityOf(socket: TLSSocket): ClientIdentity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || cert.subject === undefined) return undefined;
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const cn = subject.CN;
  return {
    role: roleFromOrganizations(subject.O),
    name: Array.isArray(cn) ? cn.join(',') : (cn ?? ''),
    fingerprint: cert.fingerprint256,
  };
}

function clientErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({
    error: { status, code: status === 431 ? 'HeadersTooLarge' : 'BadRequest', message },
  });
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Serves a state store over HTTPS with mutual TLS: every client presents a certificate signed by
 * the CA, and its role (Organization `converge:reader|operator|admin`) decides what it may do.
 *
 * @example
 * ```ts
 * const server = createApiServer({ state: createState(), tls: { ca, cert, key } });
 * const url = await server.listen();
 * ```
 * @remarks Routes: `GET|POST /v1/resources/{ns}/{type}`, `GET|PUT|DELETE /v1/resources/{ns}/{type}/{id}`
 * (`DELETE …?teardown=true`: tear down, and destroy once the last finalizer goes: 200 or 202),
 * `POST …/{id}/teardown`, `POST /v1/transaction`, `GET /v1/watch/{ns}/{type}[/{id}]` (NDJSON),
 * `GET /v1/definitions[/{name}]`, `GET /v1/whoami`. JSON by default, YAML with `Accept: application/yaml`.
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const limits = resolveLimits(options.limits);
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = options.clock ?? wallClock;
  const state = options.state;
  const helpers = withStateHelpers(state);
  const policy = new AccessPolicy(state, logger, clock);
  const reaper = new DeleteReaper(state, logger, clock);
  const registry = new WatchRegistry();
  const sockets = new Set<Duplex>();
  const identities = new WeakMap<object, ClientIdentity | undefined>();
  const closing = new AbortController();
  let address: AddressInfo | undefined;

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const started = clock.now();
    let identity: ClientIdentity | undefined;
    // One line per request once its answer is sent (or its watch stream ends).
    res.once('close', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      logger.info(
        {
          method: req.method,
          path: q < 0 ? url : url.slice(0, q),
          client: identity?.name ?? '',
          role: identity?.role ?? '',
          status: res.statusCode,
          ms: clock.now() - started,
        },
        'request',
      );
    });
    try {
      const socket = req.socket as TLSSocket;
      identity = identities.get(socket);
      if (identity === undefined) {
        identity = identityOf(socket);
        identities.set(socket, identity);
      }
      if (identity === undefined)
        throw new ApiError(401, 'Unauthenticated', 'a verified client certificate is required');
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const search = q < 0 ? '' : url.slice(q + 1);
      const extension = options.extension;
      if (
        extension !== undefined &&
        (await extension({ req, res, path, search, identity, limits, closing: closing.signal }))
      ) {
        return;
      }
      const route = matchRoute(req.method ?? 'GET', path);
      const ctx: RequestContext = {
        req,
        res,
        route,
        search,
        identity,
        state,
        helpers,
        policy,
        limits,
        logger,
      };
      if (route.name === 'watch' || route.name === 'watchKind') handleWatch(ctx, registry, clock);
      else await handleResourceRoute(ctx);
    } catch (error) {
      const wire = errorToWire(error);
      if (wire.status >= 500) logger.error({ err: error, url: req.url }, 'request failed');
      // A small unread body (refused before it was read) is drained, so the client can finish
      // sending and read the answer; after a large or refused-for-size one the connection closes.
      const drained =
        wire.status !== 413 && !req.complete && (await drainSmallBody(req, limits.maxBodyBytes));
      sendError(res, error, wire.status === 413 || (!req.complete && !drained));
    }
  };

  const server: Server = createServer(
    {
      ca: options.tls.ca,
      cert: options.tls.cert,
      key: options.tls.key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      maxHeaderSize: limits.maxHeaderBytes,
      handshakeTimeout: limits.handshakeTimeoutMs,
      // How often the head and request timeouts are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 2))),
    },
    (req, res) => {
      void onRequest(req, res);
    },
  );
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.timeout = limits.socketTimeoutMs;
  server.maxHeadersCount = limits.maxHeadersCount;
  server.maxConnections = limits.maxConnections;
  server.on('secureConnection', (socket: TLSSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error: Error) => logger.debug({ err: error }, 'TLS handshake refused'));
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message =
      status === 431
        ? `request head is larger than the limit of ${limits.maxHeaderBytes} bytes`
        : status === 408
          ? 'request took too long to arrive'
          : `malformed HTTP request: ${error.message}`;
    socket.end(clientErrorResponse(status, message));
  });

  return {
    async listen() {
      await policy.start();
      reaper.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      address = server.address() as AddressInfo;
      return this.url;
    },
    get url() {
      if (address === undefined) throw new Error('the API server is not listening');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `https://${host}:${address.port}`;
    },
    get port() {
      if (address === undefined) throw new Error('the API server is not listening');
      return address.port;
    },
    stats: () => ({ connections: sockets.size, watches: registry.streams.size }),
    async close() {
      policy.stop();
      reaper.stop();
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stream of [...registry.streams]) stream.end();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Reads and discards the rest of a request body of a declared length within `limit` bytes; false
 * (and nothing read) for a body of unknown or larger length, or one that does not end in time.
 */
async function drainSmallBody(req: IncomingMessage, limit: number): Promise<boolean> {
  const length = Number(req.headers['content-length']);
  if (!Number.isFinite(length) || length > limit) return false;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), 5_000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(ok);
    };
    const onEnd = () => done(true);
    const onError = () => done(false);
    req.on('end', onEnd);
    req.on('error', onError);
    req.resume();
  });
}
