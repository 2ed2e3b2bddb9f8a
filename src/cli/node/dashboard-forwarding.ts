/**
 * What `converge dashboard --serve` answers and forwards: the page's files, and under
 * `/nodes/<name>/` only the GET routes the page reads (a node's info, events, health, graph and
 * watches of the dashboard's kinds), with only their known query parameters, rebuilt from the
 * parsed parts so nothing else of the request reaches a node.
 */
import { ApiError } from '../../api/api-error.js';
import { dashboardKinds } from '../../node/dashboard/dashboard-kinds.js';

/** A request to forward to a node: its name and the path (with query) to ask it for. */
export interface ForwardTarget {
  readonly node: string;
  readonly path: string;
  /** Whether the node answers with a long-lived NDJSON stream. */
  readonly stream: boolean;
}

/** What a request to the dashboard server is. */
export type DashboardRequest =
  | { readonly kind: 'file'; readonly file: 'index.html' | 'dashboard.js' | 'nodes.json' }
  | { readonly kind: 'forward'; readonly target: ForwardTarget }
  | { readonly kind: 'live'; readonly streams: readonly ForwardTarget[] };

/** The path of the multiplexed stream endpoint. */
export const liveEndpoint = '/live';

/** At most this many streams in one multiplexed request. */
const maxLiveStreams = 256;
const maxUrlLength = 16_384;

/** Query parameters each forwarded route takes; values are short plain tokens. */
const nodeRoutes: Readonly<Record<string, readonly string[]>> = {
  info: [],
  events: ['tail', 'follow'],
  health: ['timeoutSeconds'],
  graph: ['format'],
};
const watchParams = ['bootstrapContents'];
const tokenValue = /^[A-Za-z0-9._-]{0,64}$/;

const watchable = new Set(Object.values(dashboardKinds).map(([ns, type]) => `${ns}/${type}`));

function notFound(what: string): ApiError {
  return new ApiError(404, 'RouteNotFound', `${what} is not served here`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, 'BadRequest', 'a path segment is not valid percent-encoding');
  }
}

/** Keeps the allowed query parameters (each at most once, a plain token); anything else is refused. */
function query(params: URLSearchParams, allowed: readonly string[]): string {
  const kept = new URLSearchParams();
  for (const [key, value] of params) {
    if (!allowed.includes(key)) {
      throw new ApiError(
        400,
        'BadRequest',
        `query parameter ${JSON.stringify(key.slice(0, 64))} is not forwarded`,
      );
    }
    if (kept.has(key) || !tokenValue.test(value)) {
      throw new ApiError(400, 'BadRequest', `query parameter ${key} must appear once with a plain value`);
    }
    kept.set(key, value);
  }
  const text = kept.toString();
  return text === '' ? '' : `?${text}`;
}

/** Matches `/nodes/<name>/<node path>` against the forwarded routes. */
function matchForward(url: URL, nodes: ReadonlySet<string>): ForwardTarget {
  const parts = url.pathname.split('/').slice(1);
  if (parts[0] !== 'nodes' || parts.length < 3) throw notFound('this path');
  const node = decodeSegment(parts[1]!);
  if (!nodes.has(node)) {
    throw new ApiError(
      404,
      'RouteNotFound',
      `node ${JSON.stringify(node.slice(0, 100))} is not one of the dashboard's nodes`,
    );
  }
  const rest = parts.slice(2).map(decodeSegment);
  if (rest.length === 3 && rest[0] === 'v1' && rest[1] === 'node' && nodeRoutes[rest[2]!] !== undefined) {
    const route = rest[2]!;
    const search = query(url.searchParams, nodeRoutes[route]!);
    const follow = url.searchParams.get('follow');
    const stream =
      route === 'health' || (route === 'events' && (follow === 'true' || follow === '1' || follow === ''));
    return { node, path: `/v1/node/${route}${search}`, stream };
  }
  if (
    rest.length === 4 &&
    rest[0] === 'v1' &&
    rest[1] === 'watch' &&
    watchable.has(`${rest[2]}/${rest[3]}`)
  ) {
    const path = `/v1/watch/${encodeURIComponent(rest[2]!)}/${encodeURIComponent(rest[3]!)}`;
    return { node, path: `${path}${query(url.searchParams, watchParams)}`, stream: true };
  }
  throw notFound(`${JSON.stringify(`/${rest.join('/')}`.slice(0, 200))} of node ${node}`);
}

function parseUrl(rawUrl: string): URL {
  if (!rawUrl.startsWith('/') || rawUrl.startsWith('//') || rawUrl.length > maxUrlLength) {
    throw new ApiError(400, 'BadRequest', 'the request target must be a path');
  }
  try {
    return new URL(rawUrl, 'http://dashboard.invalid');
  } catch {
    throw new ApiError(400, 'BadRequest', 'the request target is not a valid path');
  }
}

/** The streams of a multiplexed request: `?s=<forwarded path>&s=…`, each a stream route. */
function matchLive(url: URL, nodes: ReadonlySet<string>): readonly ForwardTarget[] {
  const keys = new Set(url.searchParams.keys());
  if ([...keys].some((k) => k !== 's'))
    throw new ApiError(400, 'BadRequest', `${liveEndpoint} takes only s=<path>`);
  const paths = url.searchParams.getAll('s');
  if (paths.length === 0 || paths.length > maxLiveStreams) {
    throw new ApiError(400, 'BadRequest', `${liveEndpoint} takes 1 to ${maxLiveStreams} streams`);
  }
  return paths.map((path) => {
    const target = matchForward(parseUrl(path), nodes);
    if (!target.stream)
      throw new ApiError(400, 'BadRequest', `${target.path} of ${target.node} is not a stream`);
    return target;
  });
}

/**
 * Matches a request: throws an {@link ApiError} for anything but a GET without a body of
 * the page's files, a forwarded route of a known node, or the multiplexed stream endpoint.
 */
export function matchDashboardRequest(
  method: string,
  rawUrl: string,
  hasBody: boolean,
  nodes: ReadonlySet<string>,
): DashboardRequest {
  if (method !== 'GET')
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `method ${method.slice(0, 20)} is not allowed: the dashboard only reads`,
    );
  if (hasBody)
    throw new ApiError(400, 'BadRequest', 'a request body is not allowed: the dashboard only reads');
  const url = parseUrl(rawUrl);
  const path = url.pathname;
  if (path === '/' || path === '/index.html' || path === '/dashboard.js' || path === '/nodes.json') {
    if (url.search !== '') throw new ApiError(400, 'BadRequest', `${path} takes no query`);
    return {
      kind: 'file',
      file: path === '/' ? 'index.html' : (path.slice(1) as 'dashboard.js' | 'nodes.json' | 'index.html'),
    };
  }
  if (path === liveEndpoint) return { kind: 'live', streams: matchLive(url, nodes) };
  return { kind: 'forward', target: matchForward(url, nodes) };
}

/** The page's base path of a node. */
export function nodeBase(name: string): string {
  return `/nodes/${encodeURIComponent(name)}`;
}

/**
 * Whether a Host header names the server itself (its loopback address, `localhost`, or `[::1]`
 * on its port): anything else may be a DNS-rebinding page reaching for the client certificate.
 */
export function isOwnHost(host: string | undefined, listenHost: string, port: number): boolean {
  if (host === undefined) return false;
  const named = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  return [`${named}:${port}`, `localhost:${port}`].includes(host.toLowerCase());
}
