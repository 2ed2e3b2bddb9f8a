/**
 * Reads `ip -json` output into the platform's plain data: links, addresses, routes.
 */
import { PlatformError } from '../errors.js';
import { formatIp, formatPrefix, parseIp, parsePrefix } from '../ip-prefix.js';
import type {
  AddressFamily,
  LinkOperationalState,
  PlatformAddress,
  PlatformLink,
  PlatformRoute,
} from '../network.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  link?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
  addr_info?: IpAddressInfo[];
}

interface IpAddressInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
  [flag: string]: unknown;
}

interface IpRoute {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
}

const operationalStates = new Set<LinkOperationalState>([
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
]);
const addressFlags = [
  'secondary',
  'temporary',
  'nodad',
  'optimistic',
  'dadfailed',
  'home',
  'deprecated',
  'tentative',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'stable-privacy',
];
const tableNumbers: Record<string, number> = { main: 254, default: 253, local: 255, unspec: 0 };

function parseJson<T>(text: string, what: string): T[] {
  try {
    const value: unknown = JSON.parse(text.trim() === '' ? '[]' : text);
    if (!Array.isArray(value)) throw new TypeError('not an array');
    return value as T[];
  } catch (cause) {
    throw new PlatformError('EIO', `ip -json ${what}: unreadable output (${String(cause)})`, {
      op: what,
      cause,
    });
  }
}

/** Links from `ip -d -json link show`; `physicalNames` are reported as physical (kind `''`). */
export function parseLinks(text: string, physicalNames: ReadonlySet<string>): PlatformLink[] {
  return parseJson<IpLink>(text, 'link')
    .map((l): PlatformLink => {
      const flags = l.flags ?? [];
      const forcedPhysical = physicalNames.has(l.ifname);
      const kind = forcedPhysical ? '' : (l.linkinfo?.info_kind ?? '');
      const type = l.link_type ?? 'none';
      const state = (l.operstate ?? 'unknown').toLowerCase() as LinkOperationalState;
      const vlanId = kind === 'vlan' ? l.linkinfo?.info_data?.id : undefined;
      return {
        name: l.ifname,
        index: l.ifindex,
        kind,
        type,
        up: flags.includes('UP'),
        operationalState: operationalStates.has(state) ? state : 'unknown',
        carrier: flags.includes('UP') && flags.includes('LOWER_UP'),
        mtu: l.mtu ?? 0,
        hardwareAddr: l.address ?? '',
        physical: forcedPhysical || (kind === '' && type === 'ether'),
        ...(l.master === undefined ? {} : { masterName: l.master }),
        ...(l.link === undefined || forcedPhysical ? {} : { parentName: l.link }),
        ...(vlanId === undefined ? {} : { vlanId }),
      };
    })
    .sort((a, b) => a.index - b.index);
}

/** Addresses from `ip -json addr show`, ordered by link index, family, address. */
export function parseAddresses(text: string): PlatformAddress[] {
  const out: { index: number; value: bigint; address: PlatformAddress }[] = [];
  for (const link of parseJson<IpLink>(text, 'addr')) {
    for (const info of link.addr_info ?? []) {
      const family: AddressFamily | undefined =
        info.family === 'inet' ? 'inet4' : info.family === 'inet6' ? 'inet6' : undefined;
      const prefix = family === undefined ? undefined : parsePrefix(`${info.local}/${info.prefixlen}`);
      if (family === undefined || prefix === undefined) continue;
      const flags = addressFlags.filter((f) => info[f] === true);
      if (typeof info.valid_life_time === 'number' && info.valid_life_time !== 4294967295)
        flags.push('dynamic');
      out.push({
        index: link.ifindex,
        value: prefix.value,
        address: {
          linkName: link.ifname,
          address: formatPrefix(prefix),
          family,
          scope: (info.scope ?? 'global') as PlatformAddress['scope'],
          flags: flags.sort(),
        },
      });
    }
  }
  return out
    .sort(
      (a, b) =>
        a.index - b.index ||
        a.address.family.localeCompare(b.address.family) ||
        (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    )
    .map((x) => x.address);
}

/** The kernel's own types of the local table, left out of {@link parseRoutes}. */
const localTypes = new Set(['local', 'broadcast', 'multicast', 'anycast', 'nat']);

/** Routes from `ip -json -4|-6 route show table all`, without the `local` table. */
export function parseRoutes(text: string, family: AddressFamily): PlatformRoute[] {
  const out: PlatformRoute[] = [];
  for (const r of parseJson<IpRoute>(text, 'route')) {
    const type = r.type ?? 'unicast';
    if (r.table === 'local' || localTypes.has(type)) continue;
    const table = r.table === undefined ? 254 : (tableNumbers[r.table] ?? Number(r.table));
    let destination = '';
    if (r.dst !== undefined && r.dst !== 'default') {
      const prefix = parsePrefix(r.dst);
      if (prefix === undefined) continue;
      destination = prefix.length === 0 ? '' : formatPrefix(prefix);
    }
    const gatewayIp = r.gateway === undefined ? undefined : parseIp(r.gateway);
    const sourceIp = r.prefsrc === undefined ? undefined : parseIp(r.prefsrc);
    out.push({
      family,
      destination,
      gateway: gatewayIp === undefined ? '' : formatIp(gatewayIp),
      source: sourceIp === undefined ? '' : formatIp(sourceIp),
      outLinkName: r.dev ?? '',
      table,
      priority: r.metric ?? 0,
      scope: (r.scope ?? 'global') as PlatformRoute['scope'],
      type,
      protocol: r.protocol ?? 'boot',
    });
  }
  return out;
}
