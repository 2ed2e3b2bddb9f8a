import { ApiError } from './api-error.js';
import { decodeComponent } from './http-io.js';

/** The routes of the API (path segments are percent-encoded, so ids may hold `/`). */
export type Route =
  | { readonly name: 'list' | 'create'; readonly namespace: string; readonly type: string }
  | {
      readonly name: 'get' | 'update' | 'destroy' | 'teardown';
      readonly namespace: string;
      readonly type: string;
      readonly id: string;
    }
  | { readonly name: 'watchKind'; readonly namespace: string; readonly type: string }
  | { readonly name: 'watch'; readonly namespace: string; readonly type: string; readonly id: string }
  | { readonly name: 'transaction' | 'definitions' | 'whoami' }
  | { readonly name: 'definition'; readonly definition: string };

/** The path prefix of every route. */
export const apiPrefix = '/v1';

/** Encodes a path segment (ids may hold `/`, `?`, `%` and spaces). */
function segment(value: string): string {
  return encodeURIComponent(value);
}

/** The path of one resource, a kind, or their watch. */
export function resourcePath(namespace: string, type: string, id?: string, watch = false): string {
  const base = `${apiPrefix}/${watch ? 'watch' : 'resources'}/${segment(namespace)}/${segment(type)}`;
  return id === undefined ? base : `${base}/${segment(id)}`;
}

function methodNotAllowed(method: string, path: string, allowed: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `method ${method} is not allowed on ${path}; allowed: ${allowed}`,
  );
}

/** Matches a method and path to a route; 404 for unknown paths, 405 for a wrong method. */
export function matchRoute(method: string, path: string): Route {
  const notFound = () =>
    new ApiError(404, 'RouteNotFound', `no route for ${JSON.stringify(path.slice(0, 200))}`);
  if (!path.startsWith(`${apiPrefix}/`)) throw notFound();
  const raw = path.slice(apiPrefix.length + 1).split('/');
  const parts = raw.map((p, i) => decodeComponent(p, `path segment ${i + 1}`));
  if (parts.some((p) => p === '')) throw notFound();
  const [head, namespace, type, id, action] = parts;
  const only = (allowed: string, route: Route): Route => {
    if (method !== allowed) throw methodNotAllowed(method, path, allowed);
    return route;
  };
  switch (head) {
    case 'resources':
      if (parts.length === 3) {
        if (method === 'GET') return { name: 'list', namespace: namespace!, type: type! };
        if (method === 'POST') return { name: 'create', namespace: namespace!, type: type! };
        throw methodNotAllowed(method, path, 'GET, POST');
      }
      if (parts.length === 4) {
        const base = { namespace: namespace!, type: type!, id: id! };
        if (method === 'GET') return { name: 'get', ...base };
        if (method === 'PUT') return { name: 'update', ...base };
        if (method === 'DELETE') return { name: 'destroy', ...base };
        throw methodNotAllowed(method, path, 'GET, PUT, DELETE');
      }
      if (parts.length === 5 && action === 'teardown') {
        return only('POST', { name: 'teardown', namespace: namespace!, type: type!, id: id! });
      }
      throw notFound();
    case 'watch':
      if (parts.length === 3) return only('GET', { name: 'watchKind', namespace: namespace!, type: type! });
      if (parts.length === 4)
        return only('GET', { name: 'watch', namespace: namespace!, type: type!, id: id! });
      throw notFound();
    case 'transaction':
      if (parts.length === 1) return only('POST', { name: 'transaction' });
      throw notFound();
    case 'definitions':
      if (parts.length === 1) return only('GET', { name: 'definitions' });
      if (parts.length === 2) return only('GET', { name: 'definition', definition: namespace! });
      throw notFound();
    case 'whoami':
      if (parts.length === 1) return only('GET', { name: 'whoami' });
      throw notFound();
    default:
      throw notFound();
  }
}
