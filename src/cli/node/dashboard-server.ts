/**
 * `converge dashboard --serve`: a plain HTTP server on loopback that serves the dashboard page
 * with every node of the selection under `/nodes/<name>/`, and forwards the page's reads to each
 * node's API over mutual TLS with the client config's certificate (a browser cannot easily present
 * it). It only reads: GETs of an allow-list, no bodies, Host checked against DNS rebinding.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import type { Logger } from 'pino';
import { ApiError } from '../../api/api-error.js';
import { sendError } from '../../api/http-io.js';
import type { ApiTlsOptions } from '../../api/server.js';
import { dashboardAsset } from '../../node/dashboard/dashboard-assets.js';
import { type Clock, wallClock } from '../../runtime/clock.js';
import {
  type ForwardTarget,
  isOwnHost,
  liveEndpoint,
  matchDashboardRequest,
  nodeBase,
} from './dashboard-forwarding.js';
import { serveLive } from './dashboard-live.js';
import { createNodeUpstream, type NodeUpstream } from './dashboard-upstream.js';

/** Options of {@link createDashboardServer}. */
export interface DashboardServerOptions {
  /** The nodes to show, in order: a name and the endpoint of its API. */
  readonly nodes: readonly { readonly name: string; readonly endpoint: string }[];
  /** The client config's CA, certificate and key. */
  readonly tls: ApiTlsOptions;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** At most this many node requests open at once (each stream holds one); more are answered 503. */
  readonly maxOpenRequests?: number;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** Starts listening; resolves to the page's URL. */
  listen(): Promise<string>;
  /** Names of the nodes that failed their last request. */
  unreachable(): string[];
  /** What the server did, for the summary line; failed: requests a node could not answer. */
  readonly stats: { readonly answered: number; readonly refused: number; readonly failed: number };
  /** Ends every open stream and stops. */
  close(): Promise<void>;
}

const pageSecurity = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
/** Forwarded answers (JSON, NDJSON, SVG) never run anything on the page's origin. */
const forwardedSecurity = "default-src 'none'; style-src 'unsafe-inline'";

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function sendFile(res: ServerResponse, type: string, text: string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': pageSecurity,
  });
  res.end(text);
}

/** Forwards one request to its node; false when the node could not be reached. */
async function forward(res: ServerResponse, upstream: NodeUpstream, target: ForwardTarget): Promise<boolean> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let answer: IncomingMessage;
  try {
    answer = await upstream.get(target.path, abort.signal, '*/*');
  } catch (error) {
    if (abort.signal.aborted) return true;
    sendError(
      res,
      new ApiError(502, 'Unavailable', `node ${target.node} is unreachable: ${(error as Error).message}`),
    );
    return false;
  }
  res.writeHead(answer.statusCode ?? 502, {
    'content-type': answer.headers['content-type'] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': forwardedSecurity,
  });
  res.flushHeaders();
  // A node that goes away mid-stream cuts the page's stream too, so the page sees it and retries.
  pipeline(answer, res, () => undefined);
  return true;
}

/** Makes the dashboard server of `options.nodes`. */
export function createDashboardServer(options: DashboardServerOptions): DashboardServer {
  const clock = options.clock ?? wallClock;
  const { logger } = options;
  const upstreams = new Map<string, NodeUpstream>();
  for (const node of options.nodes) {
    upstreams.set(node.name, createNodeUpstream(node.name, node.endpoint, options.tls, logger, clock));
  }
  const names = new Set(upstreams.keys());
  const pageNodes = options.nodes.map((n) => ({ name: n.name, base: nodeBase(n.name), live: liveEndpoint }));
  const stats = { answered: 0, refused: 0, failed: 0 };
  const maxOpen = options.maxOpenRequests ?? 1_024;
  let open = 0;
  let port = options.port;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!isOwnHost(req.headers.host, options.host, port)) {
      stats.refused++;
      sendError(
        res,
        new ApiError(
          403,
          'Forbidden',
          `host ${JSON.stringify(String(req.headers.host).slice(0, 100))} is not this dashboard`,
        ),
      );
      return;
    }
    let request: ReturnType<typeof matchDashboardRequest>;
    try {
      request = matchDashboardRequest(req.method ?? 'GET', req.url ?? '/', hasBody(req), names);
    } catch (error) {
      stats.refused++;
      sendError(res, error, hasBody(req));
      return;
    }
    const holds = request.kind === 'forward' ? 1 : request.kind === 'live' ? request.streams.length : 0;
    if (open + holds > maxOpen) {
      stats.refused++;
      sendError(
        res,
        new ApiError(503, 'Unavailable', `the dashboard already holds ${open} node requests open`),
      );
      return;
    }
    stats.answered++;
    open += holds;
    res.once('close', () => {
      open -= holds;
    });
    if (request.kind === 'file') {
      sendFile(res, ...dashboardAsset(request.file, pageNodes));
    } else if (request.kind === 'forward') {
      if (!(await forward(res, upstreams.get(request.target.node)!, request.target))) stats.failed++;
    } else {
      await serveLive(res, request.streams, upstreams, clock);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url?.slice(0, 200) }, 'dashboard request failed');
      sendError(res, error);
    });
  });

  return {
    stats,
    unreachable: () => [...upstreams.values()].filter((u) => !u.reachable).map((u) => u.name),
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          const host = options.host.includes(':') ? `[${options.host}]` : options.host;
          resolve(`http://${host}:${port}/`);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const upstream of upstreams.values()) upstream.close();
      }),
  };
}
