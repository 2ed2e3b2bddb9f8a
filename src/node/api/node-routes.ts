/**
 * The node's own endpoints beside the resource API, and the role each one needs (as Talos: readers
 * look, operators restart services and reboot, admins change config, upgrade and wipe).
 */
import { ApiError } from '../../api/api-error.js';
import { decodeComponent } from '../../api/http-io.js';
import type { Role } from '../../api/roles.js';

/** The path prefix of the node's endpoints. */
const nodeApiPrefix = '/v1/node';

/** A service action the API allows on user-controllable services. */
type ServiceAction = 'start' | 'stop' | 'restart';

/** A matched node route. */
export type NodeRoute =
  | { readonly name: 'info' | 'services' | 'events' | 'health' | 'graph' | 'configHistory' | 'configDiff' }
  | { readonly name: 'serviceLogs'; readonly service: string }
  | { readonly name: 'serviceAction'; readonly service: string; readonly action: ServiceAction }
  | {
      readonly name: 'applyConfig' | 'upgrade' | 'rollback' | 'reboot' | 'shutdown' | 'reset' | 'bootstrap';
    }
  | { readonly name: 'dashboard'; readonly file: (typeof dashboardFiles)[number] };

/** The role a route needs. */
export function roleFor(route: NodeRoute): Role {
  switch (route.name) {
    case 'serviceAction':
    case 'reboot':
    case 'shutdown':
      return 'operator';
    case 'applyConfig':
    case 'upgrade':
    case 'rollback':
    case 'reset':
    case 'bootstrap':
      return 'admin';
    default:
      return 'reader';
  }
}

const getRoutes = new Map<string, NodeRoute>([
  ['info', { name: 'info' }],
  ['services', { name: 'services' }],
  ['events', { name: 'events' }],
  ['health', { name: 'health' }],
  ['graph', { name: 'graph' }],
  ['config/history', { name: 'configHistory' }],
  ['config/diff', { name: 'configDiff' }],
]);

const postRoutes = new Map<string, NodeRoute>([
  ['apply-config', { name: 'applyConfig' }],
  ['upgrade', { name: 'upgrade' }],
  ['rollback', { name: 'rollback' }],
  ['reset', { name: 'reset' }],
  ['reboot', { name: 'reboot' }],
  ['shutdown', { name: 'shutdown' }],
  ['bootstrap', { name: 'bootstrap' }],
]);

/** The dashboard's files: the page and its module. */
const dashboardFiles = ['index.html', 'dashboard.js', 'nodes.json'] as const;

function wrongMethod(method: string, path: string, allowed: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `method ${method} is not allowed on ${path}; allowed: ${allowed}`,
  );
}

/** Matches a node route; `undefined` for paths that are not the node's (the resource API answers them). */
export function matchNodeRoute(method: string, path: string): NodeRoute | undefined {
  if (path === '/dashboard' || path === '/dashboard/' || path.startsWith('/dashboard/')) {
    const file = path.slice('/dashboard/'.length) || 'index.html';
    const known = dashboardFiles.find((f) => f === file);
    if (known === undefined) {
      throw new ApiError(404, 'RouteNotFound', `no dashboard file ${JSON.stringify(file.slice(0, 100))}`);
    }
    if (method !== 'GET') throw wrongMethod(method, path, 'GET');
    return { name: 'dashboard', file: known };
  }
  if (path !== nodeApiPrefix && !path.startsWith(`${nodeApiPrefix}/`)) return undefined;
  const rest = path.slice(nodeApiPrefix.length + 1);
  const get = getRoutes.get(rest);
  if (get !== undefined) {
    if (method !== 'GET') throw wrongMethod(method, path, 'GET');
    return get;
  }
  const post = postRoutes.get(rest);
  if (post !== undefined) {
    if (method !== 'POST') throw wrongMethod(method, path, 'POST');
    return post;
  }
  const parts = rest.split('/');
  if (parts[0] === 'services' && parts.length === 3 && parts[1] !== '') {
    const service = decodeComponent(parts[1]!, 'service id');
    const action = parts[2]!;
    if (action === 'logs') {
      if (method !== 'GET') throw wrongMethod(method, path, 'GET');
      return { name: 'serviceLogs', service };
    }
    if (action === 'start' || action === 'stop' || action === 'restart') {
      if (method !== 'POST') throw wrongMethod(method, path, 'POST');
      return { name: 'serviceAction', service, action };
    }
  }
  throw new ApiError(404, 'RouteNotFound', `no route for ${JSON.stringify(path.slice(0, 200))}`);
}
