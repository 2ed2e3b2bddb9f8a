/**
 * The node API: the resource API over the node's state plus the node's own endpoints (services,
 * logs, events, health, the dependency graph, config and lifecycle operations, the dashboard), on
 * one HTTPS server with mutual TLS and the resource API's roles.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { ApiError } from '../../api/api-error.js';
import { integerParam, parseQuery, sendJsonText } from '../../api/http-io.js';
import type { ApiLimits } from '../../api/limits.js';
import { roleIncludes } from '../../api/roles.js';
import {
  type ApiExtension,
  type ApiExtensionRequest,
  type ApiServer,
  type ApiTlsOptions,
  createApiServer,
} from '../../api/server.js';
import { type Clock, wallClock } from '../../runtime/clock.js';
import type { Node } from '../create-node.js';
import { dashboardAsset } from '../dashboard/dashboard-assets.js';
import { UnknownServiceError } from '../supervisor/supervisor.js';
import { graphFormats, renderDependencyGraph } from './dependency-graph-render.js';
import { runHealthChecks } from './health-checks.js';
import { incarnationState } from './incarnation-state.js';
import { handleLifecycleRoute, type NodeLifecycle } from './lifecycle-handlers.js';
import { streamNdjson } from './ndjson-stream.js';
import { nodeInfo } from './node-info.js';
import { matchNodeRoute, type NodeRoute, roleFor } from './node-routes.js';

/** What the node API serves: the node (which a reboot may replace) and what the process may do to it. */
export interface NodeApiHost extends NodeLifecycle {
  /** The node as it is now. */
  node(): Node;
}

/** Options of {@link createNodeApiServer}. */
export interface NodeApiServerOptions {
  readonly host: NodeApiHost;
  readonly tls: ApiTlsOptions;
  /** The node's own address to listen on. */
  readonly address: string;
  /** The port (0: chosen at run time). */
  readonly port: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly limits?: ApiLimits;
}

const maxTail = 100_000;

const bootIds = new WeakMap<object, string>();

/** An id of the node's current boot: each boot has its own state object. */
function bootIdOf(state: object): string {
  let id = bootIds.get(state);
  if (id === undefined) {
    id = randomUUID();
    bootIds.set(state, id);
  }
  return id;
}
const maxHealthTimeoutSeconds = 3_600;

function sendText(req: ApiExtensionRequest, contentType: string, text: string): void {
  req.res.writeHead(200, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  req.res.end(text);
}

function followParam(params: Map<string, string>): boolean {
  const v = params.get('follow');
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1' || v === '') return true;
  throw new ApiError(
    400,
    'BadRequest',
    `query parameter follow must be true or false, got ${JSON.stringify(v.slice(0, 64))}`,
  );
}

/** Answers one node route (the role was checked before). */
async function handleRoute(
  host: NodeApiHost,
  route: NodeRoute,
  req: ApiExtensionRequest,
  clock: Clock,
): Promise<void> {
  const node = host.node();
  const stream = { clock, heartbeatMs: req.limits.heartbeatMs, closing: req.closing };
  switch (route.name) {
    case 'dashboard': {
      parseQuery(req.search, []);
      if (req.path === '/dashboard') {
        // The page loads its module and nodes.json relative to itself.
        req.res.writeHead(308, { location: '/dashboard/', 'content-length': 0 });
        req.res.end();
        return;
      }
      const [type, text] = dashboardAsset(route.file, [{ name: host.address, base: '' }]);
      sendText(req, type, text);
      return;
    }
    case 'info':
      parseQuery(req.search, []);
      sendJsonText(req.res, 200, JSON.stringify(await nodeInfo(node, host.address, bootIdOf(node.state))));
      return;
    case 'services':
      parseQuery(req.search, []);
      sendJsonText(req.res, 200, JSON.stringify({ services: node.supervisor.list() }));
      return;
    case 'serviceLogs': {
      const params = parseQuery(req.search, ['tail', 'follow']);
      const tail = integerParam(params, 'tail', maxTail);
      node.supervisor.status(route.service);
      if (followParam(params)) {
        await streamNdjson(req.res, node.supervisor.followLogs(route.service, tail ?? 0), stream);
      } else {
        const lines = node.supervisor.logs(route.service, tail);
        sendJsonText(req.res, 200, JSON.stringify({ lines }));
      }
      return;
    }
    case 'serviceAction': {
      parseQuery(req.search, []);
      const status = node.supervisor.status(route.service);
      if (!status.userControllable) {
        throw new ApiError(
          403,
          'Forbidden',
          `service ${route.service} may not be ${route.action === 'stop' ? 'stopped' : `${route.action}ed`} through the API`,
        );
      }
      if (route.action === 'start') node.supervisor.start(route.service);
      else if (route.action === 'stop') await node.supervisor.stop(route.service);
      else await node.supervisor.restart(route.service);
      sendJsonText(req.res, 200, JSON.stringify({ service: node.supervisor.status(route.service) }));
      return;
    }
    case 'events': {
      const params = parseQuery(req.search, ['tail', 'follow']);
      const tail = integerParam(params, 'tail', maxTail) ?? 0;
      if (followParam(params)) {
        await streamNdjson(req.res, node.events.events({ tail }), stream);
      } else {
        const events = node.events.recent();
        sendJsonText(req.res, 200, JSON.stringify({ events: tail === 0 ? events : events.slice(-tail) }));
      }
      return;
    }
    case 'health': {
      const params = parseQuery(req.search, ['timeoutSeconds']);
      const timeout = integerParam(params, 'timeoutSeconds', maxHealthTimeoutSeconds) ?? 60;
      await streamNdjson(req.res, runHealthChecks(node, { clock, timeoutMs: timeout * 1_000 }), stream);
      return;
    }
    case 'graph': {
      const params = parseQuery(req.search, ['format']);
      const format = params.get('format') ?? 'json';
      if (!(graphFormats as readonly string[]).includes(format)) {
        throw new ApiError(400, 'BadRequest', `format must be one of ${graphFormats.join(', ')}`);
      }
      const [type, text] = await renderDependencyGraph(
        node.runtime.dependencyGraph(),
        format as (typeof graphFormats)[number],
      );
      sendText(req, type, text);
      return;
    }
    default:
      await handleLifecycleRoute(host, route, req, stream);
  }
}

/** The node's endpoints as an extension of the resource API server. */
function nodeApiExtension(host: NodeApiHost, clock: Clock = wallClock): ApiExtension {
  return async (req) => {
    const route = matchNodeRoute(req.req.method ?? 'GET', req.path);
    if (route === undefined) return false;
    const needed = roleFor(route);
    if (!roleIncludes(req.identity.role, needed)) {
      throw new ApiError(
        403,
        'Forbidden',
        `client ${JSON.stringify(req.identity.name)} (role ${req.identity.role ?? 'none'}) may not call ${req.path}: it needs converge:${needed}`,
      );
    }
    try {
      await handleRoute(host, route, req, clock);
    } catch (error) {
      if (error instanceof UnknownServiceError) throw new ApiError(404, 'NotFound', error.message);
      throw error;
    }
    return true;
  };
}

/**
 * Serves a node: the resource API over its state and the node endpoints, with mutual TLS.
 *
 * @example
 * ```ts
 * const server = createNodeApiServer({ host, tls, address: '127.0.0.11', port: 50000 });
 * const url = await server.listen();
 * ```
 */
export function createNodeApiServer(options: NodeApiServerOptions): ApiServer {
  const clock = options.clock ?? wallClock;
  return createApiServer({
    state: incarnationState(options.host.node()),
    tls: options.tls,
    host: options.address,
    port: options.port,
    logger: options.logger ?? pino({ level: 'silent' }),
    clock,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    extension: nodeApiExtension(options.host, clock),
  });
}
