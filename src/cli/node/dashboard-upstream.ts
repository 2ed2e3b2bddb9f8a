/**
 * The dashboard server's side of one node: GET requests to the node's API over mutual TLS with
 * the client config's certificate, and a log line when the node becomes unreachable and when it
 * answers again (one per streak, not one per request).
 */
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { Logger } from 'pino';
import { unreachable } from '../../api/http-client.js';
import type { ApiTlsOptions } from '../../api/server.js';
import type { Clock } from '../../runtime/clock.js';
import { nodeConnection } from './node-client.js';

/** How long a node may take to answer a request's headers. */
const answerTimeoutMs = 10_000;
/** Connections to one node at once (each open stream holds one). */
const maxSocketsPerNode = 64;

/** One node the dashboard forwards to. */
export interface NodeUpstream {
  readonly name: string;
  /** Whether the node answered the last request (false from its first failure until it answers). */
  readonly reachable: boolean;
  /** A GET of `path`; rejects when the node cannot be reached or `signal` aborts. */
  get(path: string, signal: AbortSignal, accept: string): Promise<IncomingMessage>;
  close(): void;
}

/** Makes the upstream of one node. */
export function createNodeUpstream(
  name: string,
  endpoint: string,
  tls: ApiTlsOptions,
  logger: Logger,
  clock: Clock,
): NodeUpstream {
  const { url, agent } = nodeConnection(name, endpoint, tls, maxSocketsPerNode);
  let reachable = true;
  const failed = (error: Error) => {
    if (reachable) logger.warn({ node: name, err: error.message }, 'node unreachable');
    reachable = false;
  };
  const answered = () => {
    if (!reachable) logger.info({ node: name }, 'node reachable again');
    reachable = true;
  };
  return {
    name,
    get reachable() {
      return reachable;
    },
    get(path, signal, accept) {
      return new Promise<IncomingMessage>((resolve, reject) => {
        const req = request({
          agent,
          method: 'GET',
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port === '' ? 443 : Number(url.port),
          path,
          headers: { accept },
          signal,
        });
        const timer = clock.setTimeout(() => {
          req.destroy(new Error(`no answer within ${answerTimeoutMs / 1_000} s`));
        }, answerTimeoutMs);
        req.on('response', (res) => {
          clock.clearTimeout(timer);
          answered();
          resolve(res);
        });
        req.on('error', (error: Error & { code?: string }) => {
          clock.clearTimeout(timer);
          if (signal.aborted) {
            reject(error);
            return;
          }
          const why = unreachable(url.origin, error);
          failed(why);
          reject(why);
        });
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}
