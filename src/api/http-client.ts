import type { IncomingMessage } from 'node:http';
import { Agent, type RequestOptions, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import { ApiError, errorFromWire, isWireErrorBody } from './api-error.js';
import type { ApiTlsOptions } from './server.js';

/** Options of {@link ApiTransport}. */
export interface ApiTransportOptions {
  /** A request (not a watch) that has no answer after this long fails (default 30 s). */
  requestTimeoutMs?: number;
  /** Most connections kept open for requests (default 16). */
  maxSockets?: number;
}

/** A raw answer of the API. */
export interface ApiResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
}

/** Query parameters; undefined values are left out. */
export type Query = Readonly<Record<string, string | undefined>>;

/** Builds `path?query` with every value percent-encoded. */
export function withQuery(path: string, query: Query = {}): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return parts.length === 0 ? path : `${path}?${parts.join('&')}`;
}

/** Describes a network error (no HTTP answer) as an {@link ApiError} with status 0. */
export function unreachable(url: string, error: Error & { code?: string }): ApiError {
  const detail =
    error.code !== undefined && !error.message.includes(error.code)
      ? `${error.code}: ${error.message}`
      : error.message;
  const e = new ApiError(0, 'Unavailable', `cannot reach ${url}: ${detail}`);
  (e as { cause?: unknown }).cause = error;
  return e;
}

/** Fresh TLS connections that the server reset before answering: it refused our certificate. */
function refusedAfterHandshake(url: string): ApiError {
  return new ApiError(
    0,
    'CertificateRefused',
    `${url} closed the connection right after the TLS handshake: it refused the client certificate (signed by another CA, expired, or not yet valid)`,
  );
}

/** Notes whether a request's own new connection finished its TLS handshake. */
function trackHandshake(req: ReturnType<typeof request>): () => boolean {
  let secured = false;
  req.once('socket', (socket) => {
    // A reused keep-alive connection finished its handshake long ago.
    if (req.reusedSocket) return;
    socket.once('secureConnect', () => {
      secured = true;
    });
  });
  return () => secured && !req.reusedSocket;
}

/**
 * The HTTPS transport of the remote client: one keep-alive agent for requests and one for watch
 * streams (each holds its connection), both presenting the client certificate.
 */
export class ApiTransport {
  readonly url: URL;
  readonly #requests: Agent;
  readonly #watches: Agent;
  readonly #timeoutMs: number;
  readonly #base: string;

  constructor(url: string, tls: ApiTlsOptions, options: ApiTransportOptions = {}) {
    this.url = new URL(url);
    if (this.url.protocol !== 'https:')
      throw new TypeError(`the API URL must be https://, got ${JSON.stringify(url)}`);
    this.#base = this.url.pathname.replace(/\/+$/, '');
    // One secure context for every connection: agents otherwise key their pools by the PEM strings
    // (long names built per request) and parse the key and certificates on every new connection.
    const common = { secureContext: createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key }) };
    // Idle request connections are dropped before the server's idle limit (default 30 s) would drop them.
    this.#requests = new Agent({
      ...common,
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      timeout: 20_000,
    });
    this.#watches = new Agent({ ...common, keepAlive: false });
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  #options(
    method: string,
    path: string,
    agent: Agent,
    headers: Record<string, string | number>,
  ): RequestOptions {
    return {
      agent,
      method,
      protocol: 'https:',
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port === '' ? 443 : Number(this.url.port),
      path: `${this.#base}${path}`,
      headers,
    };
  }

  /** Sends one request and reads the whole answer; retries once when a reused idle connection was reset. */
  send(method: string, path: string, body?: string, accept = 'application/json'): Promise<ApiResponse> {
    return this.#send(method, path, body, accept, true);
  }

  #send(
    method: string,
    path: string,
    body: string | undefined,
    accept: string,
    retry: boolean,
  ): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(this.#options(method, path, this.#requests, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            contentType: String(res.headers['content-type'] ?? ''),
          }),
        );
        res.on('error', (error) => reject(unreachable(this.url.origin, error)));
      });
      req.setTimeout(this.#timeoutMs, () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.#timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      );
      const handshook = trackHandshake(req);
      req.on('error', (error: Error & { code?: string }) => {
        if (retry && req.reusedSocket && error.code === 'ECONNRESET') {
          this.#send(method, path, body, accept, false).then(resolve, reject);
        } else if (error.code === 'ECONNRESET' && handshook()) {
          reject(refusedAfterHandshake(this.url.origin));
        } else {
          reject(unreachable(this.url.origin, error));
        }
      });
      req.end(body);
    });
  }

  /** Sends a request and parses a JSON answer; non-2xx answers throw the mapped error. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (res.status >= 200 && res.status < 300) {
      if (res.status === 204 || res.body.length === 0) return undefined as T;
      return JSON.parse(res.body.toString('utf8')) as T;
    }
    throw errorOfResponse(res.status, res.body);
  }

  /** Opens a streaming GET (a watch); the caller reads and ends the response. */
  openStream(path: string): { request: ReturnType<typeof request>; response: Promise<IncomingMessage> } {
    let req!: ReturnType<typeof request>;
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req = request(this.#options('GET', path, this.#watches, { accept: 'application/x-ndjson' }), resolve);
      const handshook = trackHandshake(req);
      req.on('error', (error: Error & { code?: string }) =>
        reject(
          error.code === 'ECONNRESET' && handshook()
            ? refusedAfterHandshake(this.url.origin)
            : unreachable(this.url.origin, error),
        ),
      );
      req.end();
    });
    return { request: req, response };
  }

  /** Closes every connection. */
  close(): void {
    this.#requests.destroy();
    this.#watches.destroy();
  }
}

/** The error an answer with a non-2xx status stands for. */
export function errorOfResponse(status: number, body: Buffer): Error {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (isWireErrorBody(parsed)) return errorFromWire({ ...parsed.error, status });
  return new ApiError(
    status,
    'BadResponse',
    `the server answered ${status}: ${body.toString('utf8').slice(0, 200)}`,
  );
}
