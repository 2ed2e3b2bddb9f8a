/**
 * Addresses in the simulated kernel, with the side effects the Linux kernel has: the prefix route
 * of a primary address, secondaries in the same subnet, and the routes that go when an address
 * goes (promote_secondaries off, as in a fresh namespace).
 */
import { formatIp, formatPrefix, type IpPrefix, networkOf, parsePrefix } from '../ip-prefix.js';
import type { NetworkScope, PlatformAddressRef, PlatformAddressSpec, PlatformRoute } from '../network.js';
import {
  addressesOf,
  fail,
  type KernelAddress,
  type KernelLink,
  type KernelState,
  note,
  requireLink,
} from './kernel-state.js';

const allowedFlags = new Set(['noprefixroute', 'nodad']);

/** The scope the kernel gives an address by default. */
function defaultScope(prefix: IpPrefix): NetworkScope {
  if (prefix.family === 'inet4') return prefix.value >> 24n === 127n ? 'host' : 'global';
  if (prefix.value === 1n) return 'host';
  return prefix.value >> 118n === 0x3fan ? 'link' : 'global';
}

/** Parses an address operand, `EINVAL` when it is not `ip/length`. */
function parseAddressOperand(op: string, text: string): IpPrefix {
  const prefix = text.includes('/') ? parsePrefix(text) : undefined;
  if (prefix === undefined)
    fail('EINVAL', op, text, 'not an address with a prefix length (e.g. 10.0.0.5/24)');
  return prefix;
}

const sameAddress = (a: KernelAddress, linkName: string, p: IpPrefix): boolean =>
  a.linkName === linkName &&
  a.prefix.family === p.family &&
  a.prefix.value === p.value &&
  // IPv4 identity includes the prefix length; IPv6 identity is the address alone.
  (p.family === 'inet6' || a.prefix.length === p.length);

const sameSubnet = (a: KernelAddress, p: IpPrefix): boolean =>
  a.prefix.family === p.family &&
  a.prefix.length === p.length &&
  networkOf(a.prefix).value === networkOf(p).value;

/** The prefix route the kernel installs for an address, or `undefined` when it installs none. */
function prefixRoute(link: KernelLink, a: KernelAddress): PlatformRoute | undefined {
  if (link.type === 'loopback' || a.flags.has('noprefixroute') || a.flags.has('secondary')) return undefined;
  if (a.prefix.family === 'inet4' && a.prefix.length === 32) return undefined;
  const v4 = a.prefix.family === 'inet4';
  return {
    family: a.prefix.family,
    destination: formatPrefix(networkOf(a.prefix)),
    gateway: '',
    source: v4 ? formatIp(a.prefix) : '',
    outLinkName: link.name,
    table: 254,
    priority: v4 ? 0 : 256,
    scope: v4 ? 'link' : 'global',
    type: 'unicast',
    protocol: 'kernel',
  };
}

/** Installs an address's prefix route unless the same route is there. */
export function installPrefixRoute(state: KernelState, link: KernelLink, a: KernelAddress): void {
  const route = prefixRoute(link, a);
  if (route === undefined) return;
  const clash = state.routes.some(
    (r) =>
      r.family === route.family &&
      r.table === route.table &&
      r.destination === route.destination &&
      r.priority === route.priority &&
      r.outLinkName === route.outLinkName,
  );
  if (clash) return;
  state.routes.push(route);
  note(state, 'route', link.name);
}

/** Removes the routes matching `predicate`, noting each link touched. */
export function dropRoutes(state: KernelState, predicate: (r: PlatformRoute) => boolean): void {
  const kept: PlatformRoute[] = [];
  for (const r of state.routes) {
    if (predicate(r)) note(state, 'route', r.outLinkName === '' ? undefined : r.outLinkName);
    else kept.push(r);
  }
  state.routes = kept;
}

/** Adds an address as `ip addr add` does. */
export function addAddress(state: KernelState, spec: PlatformAddressSpec): void {
  const op = 'addAddress';
  const prefix = parseAddressOperand(op, spec.address);
  for (const flag of spec.flags ?? []) {
    if (!allowedFlags.has(flag)) fail('EINVAL', op, spec.address, `unsupported flag ${flag}`);
  }
  const link = requireLink(state, op, spec.linkName);
  const onLink = addressesOf(state, link.name);
  if (onLink.some((a) => sameAddress(a, link.name, prefix))) {
    fail('EEXIST', op, `${link.name} ${spec.address}`, 'address already assigned');
  }
  const flags = new Set(spec.flags ?? []);
  if (prefix.family === 'inet4' && onLink.some((a) => !a.flags.has('secondary') && sameSubnet(a, prefix))) {
    flags.add('secondary');
  }
  const address: KernelAddress = {
    linkName: link.name,
    prefix,
    scope: spec.scope ?? defaultScope(prefix),
    flags,
  };
  state.addresses.set(link.name, [...onLink, address]);
  note(state, 'address', link.name);
  if (link.up) installPrefixRoute(state, link, address);
}

/** Removes one stored address and the routes that depended on it. */
function dropAddress(state: KernelState, a: KernelAddress): void {
  const rest = addressesOf(state, a.linkName).filter((x) => x !== a);
  if (rest.length === 0) state.addresses.delete(a.linkName);
  else state.addresses.set(a.linkName, rest);
  note(state, 'address', a.linkName);
  const text = formatIp(a.prefix);
  const network = formatPrefix(networkOf(a.prefix));
  const sharesPrefix = rest.some((x) => sameSubnet(x, a.prefix));
  dropRoutes(
    state,
    (r) =>
      r.family === a.prefix.family &&
      ((r.source === text && r.family === 'inet4') ||
        (r.protocol === 'kernel' &&
          r.outLinkName === a.linkName &&
          r.destination === network &&
          !sharesPrefix)),
  );
}

/** Removes an address as `ip addr del` does (`EADDRNOTAVAIL` when absent). */
export function removeAddress(state: KernelState, ref: PlatformAddressRef): void {
  const op = 'removeAddress';
  const prefix = parseAddressOperand(op, ref.address);
  requireLink(state, op, ref.linkName);
  const found = addressesOf(state, ref.linkName).find(
    (a) => sameAddress(a, ref.linkName, prefix) && a.prefix.length === prefix.length,
  );
  if (found === undefined) fail('EADDRNOTAVAIL', op, `${ref.linkName} ${ref.address}`, 'address not found');
  dropAddress(state, found);
  if (found.prefix.family !== 'inet4') return;
  if (!found.flags.has('secondary')) {
    // promote_secondaries is off: the secondaries of a removed primary go with it.
    for (const secondary of addressesOf(state, found.linkName).filter(
      (a) => a.flags.has('secondary') && sameSubnet(a, found.prefix),
    )) {
      dropAddress(state, secondary);
    }
  }
  if (!addressesOf(state, found.linkName).some((a) => a.prefix.family === 'inet4')) {
    // The last IPv4 address gone disables IPv4 on the link: every IPv4 route through it goes.
    dropRoutes(state, (r) => r.family === 'inet4' && r.outLinkName === found.linkName);
  }
}

/** Drops every IPv6 address of a link (what admin down does with keep_addr_on_down off). */
export function flushInet6(state: KernelState, linkName: string): void {
  for (const a of addressesOf(state, linkName).filter((x) => x.prefix.family === 'inet6')) {
    dropAddress(state, a);
  }
}
