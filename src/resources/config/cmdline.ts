import { ipFamily } from '../network/ip.js';
import { ConfigError, type ConfigIssue } from './config-error.js';

/** What one `ip=` argument asks of a link. */
export interface CmdlineLink {
  /** The link; '' = the first physical link (sorted by name), resolved when links are known. */
  readonly name: string;
  /** Static addresses, `10.0.0.5/24`. */
  readonly addresses: readonly string[];
  /** The default gateway; '' = none. */
  readonly gateway: string;
  /** Run DHCP on the link. */
  readonly dhcp: boolean;
}

/** A VLAN from `vlan=<name>:<parent>` (dracut's form; the id is the name's `.N` suffix). */
export interface CmdlineVlan {
  readonly name: string;
  readonly parent: string;
  readonly vlanId: number;
}

/** The network settings of a kernel command line, for the `cmdline` layer. */
export interface CmdlineNetwork {
  /** From `talos.hostname=` or the `ip=` hostname field; '' = none. */
  readonly hostname: string;
  readonly domainname: string;
  readonly links: readonly CmdlineLink[];
  readonly nameservers: readonly string[];
  readonly timeServers: readonly string[];
  /** `talos.network.interface.ignore=`: links the node leaves alone. */
  readonly ignoredLinks: readonly string[];
  readonly vlans: readonly CmdlineVlan[];
}

/** A command line with no network settings. */
export const emptyCmdlineNetwork: CmdlineNetwork = Object.freeze({
  hostname: '',
  domainname: '',
  links: [],
  nameservers: [],
  timeServers: [],
  ignoredLinks: [],
  vlans: [],
});

/** One `key=value` argument and where it starts (0-based). */
interface Argument {
  readonly key: string;
  readonly value: string;
  readonly offset: number;
}

/** Splits a command line into arguments; double quotes group spaces, as the kernel reads them. */
function splitArguments(cmdline: string): Argument[] {
  const out: Argument[] = [];
  const pattern = /(?:[^\s"]+|"[^"]*")+/g;
  for (const match of cmdline.matchAll(pattern)) {
    const text = match[0].replaceAll('"', '');
    const eq = text.indexOf('=');
    out.push({
      key: eq < 0 ? text : text.slice(0, eq),
      value: eq < 0 ? '' : text.slice(eq + 1),
      offset: match.index,
    });
  }
  return out;
}

/** Splits an `ip=` value on `:` outside `[...]` (IPv6 addresses are written in brackets). */
function splitFields(value: string): string[] {
  const fields: string[] = [];
  let current = '';
  let depth = 0;
  for (const ch of value) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ':' && depth === 0) {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields.map((f) => (f.startsWith('[') && f.endsWith(']') ? f.slice(1, -1) : f));
}

/** Prefix length from a netmask: dotted (`255.255.255.0`) or a length (`24`). */
function maskBits(mask: string, family: 'inet4' | 'inet6'): number | undefined {
  if (mask === '') return family === 'inet4' ? 32 : 128;
  if (/^\d{1,3}$/.test(mask)) {
    const bits = Number(mask);
    return bits <= (family === 'inet4' ? 32 : 128) ? bits : undefined;
  }
  if (family !== 'inet4' || ipFamily(mask) !== 'inet4') return undefined;
  const bin = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bin) ? (bin.indexOf('0') < 0 ? 32 : bin.indexOf('0')) : undefined;
}

const dhcpWords = new Set(['dhcp', 'on', 'any', 'both', 'dhcp6', 'bootp', 'rarp']);
const offWords = new Set(['off', 'none', '']);

/** The mutable result while parsing. */
interface Draft {
  hostname: string;
  domainname: string;
  links: CmdlineLink[];
  nameservers: string[];
  timeServers: string[];
  ignoredLinks: string[];
  vlans: CmdlineVlan[];
}

/** Parses one `ip=` value into the draft; returns an error message, or undefined. */
function parseIp(value: string, draft: Draft): string | undefined {
  if (offWords.has(value)) return undefined;
  if (dhcpWords.has(value)) {
    draft.links.push({ name: '', addresses: [], gateway: '', dhcp: true });
    return undefined;
  }
  const f = splitFields(value);
  // dracut's `ip=<device>:dhcp`.
  if (f.length === 2 && dhcpWords.has(f[1]!)) {
    draft.links.push({ name: f[0]!, addresses: [], gateway: '', dhcp: true });
    return undefined;
  }
  const [
    client = '',
    ,
    gateway = '',
    mask = '',
    host = '',
    device = '',
    autoconf = '',
    dns0 = '',
    dns1 = '',
    ntp0 = '',
  ] = f;
  const addresses: string[] = [];
  if (client !== '') {
    const family = ipFamily(client);
    if (family === undefined) return `invalid client address ${JSON.stringify(client)}`;
    const bits = maskBits(mask, family);
    if (bits === undefined) return `invalid netmask ${JSON.stringify(mask)}`;
    addresses.push(`${client}/${bits}`);
  }
  if (gateway !== '' && ipFamily(gateway) === undefined) return `invalid gateway ${JSON.stringify(gateway)}`;
  for (const dns of [dns0, dns1]) {
    if (dns === '') continue;
    if (ipFamily(dns) === undefined) return `invalid DNS server ${JSON.stringify(dns)}`;
    draft.nameservers.push(dns);
  }
  if (ntp0 !== '') draft.timeServers.push(ntp0);
  const dhcp = dhcpWords.has(autoconf);
  if (!dhcp && !offWords.has(autoconf)) return `unknown autoconf ${JSON.stringify(autoconf)}`;
  if (host !== '' && draft.hostname === '') setFqdn(draft, host);
  if (addresses.length > 0 || gateway !== '' || dhcp || device !== '') {
    draft.links.push({ name: device, addresses, gateway, dhcp });
  }
  return undefined;
}

function setFqdn(draft: Draft, fqdn: string): void {
  const dot = fqdn.indexOf('.');
  draft.hostname = dot < 0 ? fqdn : fqdn.slice(0, dot);
  draft.domainname = dot < 0 ? '' : fqdn.slice(dot + 1);
}

/**
 * Parses the network settings of a kernel command line: `ip=` (off, dhcp, dracut's
 * `<device>:dhcp`, and the full `client:server:gw:netmask:hostname:device:autoconf:dns0:dns1:ntp0`,
 * IPv6 in brackets), `talos.hostname=`, `vlan=<name>:<parent>` and `talos.network.interface.ignore=`.
 * Other arguments are left alone.
 *
 * @remarks Throws {@link ConfigError} naming the argument and its column.
 */
export function parseCmdlineNetwork(cmdline: string): CmdlineNetwork {
  const draft: Draft = {
    hostname: '',
    domainname: '',
    links: [],
    nameservers: [],
    timeServers: [],
    ignoredLinks: [],
    vlans: [],
  };
  const issues: ConfigIssue[] = [];
  const args = splitArguments(cmdline);
  let talosHostname: string | undefined;
  for (const arg of args) {
    let error: string | undefined;
    if (arg.key === 'ip') error = parseIp(arg.value, draft);
    else if (arg.key === 'talos.hostname') talosHostname = arg.value;
    else if (arg.key === 'talos.network.interface.ignore') draft.ignoredLinks.push(arg.value);
    else if (arg.key === 'vlan') error = parseVlan(arg.value, draft);
    if (error !== undefined) {
      issues.push({ document: 1, path: arg.key, line: 1, column: arg.offset + 1, message: error });
    }
  }
  if (issues.length > 0) throw new ConfigError('kernel command line', issues);
  if (talosHostname !== undefined && talosHostname !== '') setFqdn(draft, talosHostname);
  return Object.freeze(draft);
}

function parseVlan(value: string, draft: Draft): string | undefined {
  const [name = '', parent = ''] = value.split(':');
  const match = /\.(\d+)$/.exec(name);
  if (parent === '' || match === null)
    return `invalid vlan ${JSON.stringify(value)} (expected <parent>.<id>:<parent>)`;
  const vlanId = Number(match[1]);
  if (vlanId < 1 || vlanId > 4094) return `invalid vlan id ${vlanId}`;
  draft.vlans.push({ name, parent, vlanId });
  return undefined;
}
