/**
 * IP address arithmetic the network controllers need: ordering, classification and subnet tests.
 * Addresses come as text (`10.0.0.5`, `fd00::5`, with or without `/bits`).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
interface IpBytes {
  readonly v4: boolean;
  readonly bytes: readonly number[];
}

function v4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function v6Bytes(ip: string): number[] {
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = v4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups =
    rest === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...restGroups];
  const bytes = groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Parsed addresses by text: sorting and filtering thousands of addresses parse each one once. */
const parsedIps = new Map<string, IpBytes | undefined>();
/** Past this many entries the memo starts over, so it stays bounded whatever the node sees. */
const parsedIpsLimit = 65_536;

/** Parses an address (a `/bits` suffix is ignored); `undefined` when it is not one. */
function parseIp(text: string): IpBytes | undefined {
  if (parsedIps.has(text)) return parsedIps.get(text);
  if (parsedIps.size >= parsedIpsLimit) parsedIps.clear();
  const parsed = parseIpText(text);
  parsedIps.set(text, parsed);
  return parsed;
}

function parseIpText(text: string): IpBytes | undefined {
  const ip = text.split('/')[0] ?? '';
  if (isIPv4(ip)) return { v4: true, bytes: v4Bytes(ip) };
  if (isIPv6(ip) && !ip.includes('%')) return { v4: false, bytes: v6Bytes(ip) };
  return undefined;
}

/** Orders addresses as Go's `netip.Addr.Compare`: IPv4 before IPv6, then byte by byte, then shorter prefixes first. */
export function compareAddresses(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === undefined || y === undefined) return a < b ? -1 : a > b ? 1 : 0;
  if (x.v4 !== y.v4) return x.v4 ? -1 : 1;
  for (let i = 0; i < x.bytes.length; i++) {
    const d = (x.bytes[i] ?? 0) - (y.bytes[i] ?? 0);
    if (d !== 0) return d;
  }
  return prefixBits(a) - prefixBits(b);
}

function prefixBits(text: string): number {
  const bits = text.split('/')[1];
  return bits === undefined ? -1 : Number(bits);
}

/** Whether `ip` (with or without `/bits`) lies inside `prefix` (`10.0.0.0/8`). */
export function prefixContains(prefix: string, ip: string): boolean {
  const net = parseIp(prefix);
  const addr = parseIp(ip);
  if (net === undefined || addr === undefined || net.v4 !== addr.v4) return false;
  const bits = prefixBits(prefix);
  const total = bits < 0 ? net.bytes.length * 8 : bits;
  for (let bit = 0; bit < total; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((net.bytes[i] ?? 0) & mask) !== ((addr.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

const unusable = [
  '127.0.0.0/8',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '0.0.0.0/32',
  '::1/128',
  'fe80::/10',
  'ff00::/8',
  '::/128',
];

/** Loopback, link-local, multicast or unspecified: never a node address (Talos' NodeAddress rules). */
export function isUnusableNodeAddress(ip: string): boolean {
  return unusable.some((p) => prefixContains(p, ip));
}
