/**
 * Routes in the simulated kernel, checked as Linux checks them: identity (family, table,
 * destination, metric), a link that is up, a gateway reachable through a connected prefix.
 */
import {
  formatIp,
  formatPrefix,
  type IpPrefix,
  networkOf,
  parseIp,
  parsePrefix,
  prefixContains,
} from '../ip-prefix.js';
import type { AddressFamily, PlatformRoute, PlatformRouteRef, PlatformRouteSpec } from '../network.js';
import { allAddresses, fail, type KernelState, note, requireLink } from './kernel-state.js';

const mainTable = 254;
const linkless = new Set(['blackhole', 'unreachable', 'prohibit']);
const types = new Set(['unicast', ...linkless]);

/** The destination in canonical form: `''` for the default route, else a network prefix. */
function destinationOf(op: string, family: AddressFamily, destination: string): string {
  if (destination === '' || destination === 'default') return '';
  const prefix: IpPrefix | undefined = destination.includes('/') ? parsePrefix(destination) : undefined;
  if (prefix === undefined || prefix.family !== family) {
    fail('EINVAL', op, destination, `not an ${family} prefix`);
  }
  if (networkOf(prefix).value !== prefix.value)
    fail('EINVAL', op, destination, 'invalid prefix for given prefix length');
  return prefix.length === 0 ? '' : formatPrefix(prefix);
}

/** An address operand of a route in canonical form, or `''`. */
function ipOf(op: string, family: AddressFamily, what: string, text: string | undefined): string {
  if (text === undefined || text === '') return '';
  const ip = parseIp(text);
  if (ip === undefined || ip.family !== family)
    fail('EINVAL', op, text, `${what} is not an ${family} address`);
  return formatIp(ip);
}

const defaultPriority = (family: AddressFamily): number => (family === 'inet4' ? 0 : 1024);

/** The link a gateway is reachable through: a connected route of the main table on a link that is up. */
function gatewayLink(
  state: KernelState,
  family: AddressFamily,
  gateway: string,
  outLinkName: string,
): string | undefined {
  const ip = parseIp(gateway)!;
  if (family === 'inet6' && ip.value >> 118n === 0x3fan && outLinkName !== '') return outLinkName;
  for (const r of state.routes) {
    if (r.family !== family || r.table !== mainTable || r.gateway !== '' || r.type !== 'unicast') continue;
    if (outLinkName !== '' && r.outLinkName !== outLinkName) continue;
    if (state.links.get(r.outLinkName)?.up !== true) continue;
    const dst = r.destination === '' ? { family, value: 0n, length: 0 } : parsePrefix(r.destination)!;
    if (r.destination !== '' && prefixContains(dst, ip)) return r.outLinkName;
  }
  return undefined;
}

/** Adds a route as `ip route add` does. */
export function addRoute(state: KernelState, spec: PlatformRouteSpec): void {
  const op = 'addRoute';
  const family = spec.family;
  if (family !== 'inet4' && family !== 'inet6')
    fail('EINVAL', op, String(family), 'family must be inet4 or inet6');
  const destination = destinationOf(op, family, spec.destination);
  const subject = destination === '' ? 'default' : destination;
  const gateway = ipOf(op, family, 'gateway', spec.gateway);
  const source = ipOf(op, family, 'source', spec.source);
  const type = spec.type ?? 'unicast';
  if (!types.has(type)) fail('EINVAL', op, subject, `unsupported route type ${type}`);
  let outLinkName = spec.outLinkName ?? '';
  if (outLinkName !== '') requireLink(state, op, outLinkName);
  if (type === 'unicast' && gateway !== '') {
    // The kernel looks the gateway up first: through a link that is down it is simply unreachable.
    const via = gatewayLink(state, family, gateway, outLinkName);
    if (via === undefined) fail('ENETUNREACH', op, subject, `nexthop has invalid gateway ${gateway}`);
    outLinkName = via;
  } else if (outLinkName !== '') {
    if (state.links.get(outLinkName)?.up !== true && !linkless.has(type)) {
      fail('ENETDOWN', op, subject, `device for nexthop ${outLinkName} is not up`);
    }
  } else if (type === 'unicast') {
    fail('EINVAL', op, subject, 'a route needs a gateway or an outgoing link');
  }
  if (
    source !== '' &&
    !allAddresses(state).some((a) => a.prefix.family === family && formatIp(a.prefix) === source)
  ) {
    fail('EINVAL', op, subject, `invalid prefsrc address ${source}`);
  }
  const table = spec.table ?? mainTable;
  const priority = spec.priority ?? defaultPriority(family);
  if (!Number.isInteger(table) || table < 1 || table === 255)
    fail('EINVAL', op, subject, `invalid table ${table}`);
  if (!Number.isInteger(priority) || priority < 0) fail('EINVAL', op, subject, `invalid metric ${priority}`);
  if (
    state.routes.some(
      (r) =>
        r.family === family && r.table === table && r.destination === destination && r.priority === priority,
    )
  ) {
    fail('EEXIST', op, subject, 'file exists');
  }
  state.routes.push({
    family,
    destination,
    gateway,
    source,
    outLinkName,
    table,
    priority,
    scope: spec.scope ?? (gateway === '' && family === 'inet4' ? 'link' : 'global'),
    type,
    protocol: spec.protocol ?? 'static',
  });
  note(state, 'route', outLinkName === '' ? undefined : outLinkName);
}

/** Removes a route as `ip route del` does (`ESRCH` when none matches). */
export function removeRoute(state: KernelState, ref: PlatformRouteRef): void {
  const op = 'removeRoute';
  const family = ref.family;
  const destination = destinationOf(op, family, ref.destination);
  const gateway = ipOf(op, family, 'gateway', ref.gateway);
  const table = ref.table ?? mainTable;
  const priority = ref.priority ?? defaultPriority(family);
  const outLinkName = ref.outLinkName ?? '';
  if (outLinkName !== '') requireLink(state, op, outLinkName);
  const index = state.routes.findIndex(
    (r: PlatformRoute) =>
      r.family === family &&
      r.table === table &&
      r.destination === destination &&
      r.priority === priority &&
      (gateway === '' || r.gateway === gateway) &&
      (outLinkName === '' || r.outLinkName === outLinkName),
  );
  if (index < 0) fail('ESRCH', op, destination === '' ? 'default' : destination, 'no such process');
  const [removed] = state.routes.splice(index, 1);
  note(state, 'route', removed!.outLinkName === '' ? undefined : removed!.outLinkName);
}
