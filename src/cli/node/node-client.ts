/**
 * The CLI's client of one or several nodes: each `-n` name resolves to an endpoint through the
 * client config's `nodes` mapping (or is an address itself), all with the config's certificates.
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import { errorFromWire, type WireError } from '../../api/api-error.js';
import { errorOfResponse, unreachable } from '../../api/http-client.js';
import type { ApiTlsOptions } from '../../api/server.js';
import type { Connection } from '../config.js';
import { CliError, exitCodes } from '../exit-codes.js';

/** The default port of a node's API, for `-n <address>` without a port. */
const defaultNodePort = 50_000;

/** One node the CLI talks to. */
export interface NodeClient {
  /** The name output lines are prefixed with. */
  readonly name: string;
  readonly endpoint: string;
  /** A request with a JSON answer; non-2xx answers throw the API's error. */
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A text answer (DOT, SVG). */
  text(path: string): Promise<string>;
  /**
   * An NDJSON stream (a GET, or a POST of `body`): calls `onItem` per line (heartbeats skipped)
   * until it ends or `signal` aborts; an error line throws the API's error.
   */
  stream(
    path: string,
    onItem: (item: Record<string, unknown>) => void,
    signal?: AbortSignal,
    body?: unknown,
  ): Promise<void>;
  close(): void;
}

function endpointOf(name: string, connection: Connection): string {
  const named = connection.nodes.find((n) => n.name === name);
  if (named !== undefined) return named.endpoint;
  const byHost = connection.nodes.find((n) => new URL(n.endpoint).hostname === name);
  if (byHost !== undefined) return byHost.endpoint;
  if (/^https:\/\//.test(name)) return name;
  if (/^[A-Za-z0-9.-]+$/.test(name)) return `https://${name}:${defaultNodePort}`;
  if (/^[A-Za-z0-9.-]+:\d{1,5}$/.test(name)) return `https://${name}`;
  throw new CliError(
    `node ${JSON.stringify(name)} is neither named in the config file nor an address`,
    exitCodes.usage,
  );
}

/** The nodes a command acts on: `-n a,b,c`, else every node of the config file, else its endpoint. */
export function resolveTargets(
  connection: Connection,
  nodes: string | undefined,
): { name: string; endpoint: string }[] {
  if (nodes !== undefined) {
    const names = nodes
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (names.length === 0) throw new CliError('-n/--nodes names no node', exitCodes.usage);
    return names.map((name) => ({ name, endpoint: endpointOf(name, connection) }));
  }
  if (connection.nodes.length > 0) return connection.nodes.map((n) => ({ ...n }));
  return [{ name: new URL(connection.endpoint).hostname, endpoint: connection.endpoint }];
}

/**
 * The parsed `https://` endpoint of a node and a keep-alive agent presenting the client certificate
 * to it, with at most `maxSockets` connections; a bad endpoint is a usage error naming the node.
 */
export function nodeConnection(
  name: string,
  endpoint: string,
  tls: ApiTlsOptions,
  maxSockets: number,
): { url: URL; agent: Agent } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError(`endpoint ${JSON.stringify(endpoint)} of node ${name} is not a URL`, exitCodes.usage);
  }
  if (url.protocol !== 'https:') {
    throw new CliError(
      `endpoint ${JSON.stringify(endpoint)} of node ${name} must use https://`,
      exitCodes.usage,
    );
  }
  const secureContext = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  return { url, agent: new Agent({ secureContext, keepAlive: true, maxSockets }) };
}

/** Makes a client of one node. */
export function createNodeClient(name: string, endpoint: string, tls: ApiTlsOptions): NodeClient {
  const { url, agent } = nodeConnection(name, endpoint, tls, 4);
  const open = (method: string, path: string, body: string | undefined, accept: string) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string | number> = { accept };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(
        {
          agent,
          method,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port === '' ? 443 : Number(url.port),
          path,
          headers,
        },
        resolve,
      );
      req.on('error', (error: Error & { code?: string }) => reject(unreachable(url.origin, error)));
      req.end(body);
    });
  const readAll = async (res: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const checked = async (res: IncomingMessage): Promise<Buffer> => {
    const body = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw errorOfResponse(status, body);
    return body;
  };
  return {
    name,
    endpoint,
    async json<T>(method: string, path: string, body?: unknown) {
      const res = await open(
        method,
        path,
        body === undefined ? undefined : JSON.stringify(body),
        'application/json',
      );
      const text = (await checked(res)).toString('utf8');
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
    async text(path) {
      return (await checked(await open('GET', path, undefined, '*/*'))).toString('utf8');
    },
    async stream(path, onItem, signal, body) {
      const res = await (body === undefined
        ? open('GET', path, undefined, 'application/x-ndjson')
        : open('POST', path, JSON.stringify(body), 'application/x-ndjson'));
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) throw errorOfResponse(status, await readAll(res));
      const abort = () => res.destroy();
      signal?.addEventListener('abort', abort);
      let buffer = '';
      let serverError: Error | undefined;
      try {
        for await (const chunk of res) {
          buffer += (chunk as Buffer).toString('utf8');
          for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (line === '') continue;
            const item = JSON.parse(line) as Record<string, unknown>;
            if (item.type === 'error') {
              serverError = errorFromWire(item.error as WireError);
              throw serverError;
            }
            if (item.type !== 'heartbeat') onItem(item);
          }
        }
      } catch (error) {
        if (serverError !== undefined) {
          res.destroy();
          throw serverError;
        }
        if (!signal?.aborted) throw unreachable(url.origin, error as Error);
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    },
    close: () => agent.destroy(),
  };
}
