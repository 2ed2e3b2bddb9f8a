/**
 * IPv4/IPv6 addresses and prefixes as numbers: parsing, canonical text (RFC 5952 for IPv6, as the
 * kernel prints it), network masking and containment. Both platforms validate input with it.
 */
import type { AddressFamily } from './network.js';

/** An IP address as a number of its family's width. */
export interface IpAddress {
  readonly family: AddressFamily;
  readonly value: bigint;
}

/** An address with a prefix length (`10.0.0.5/24`); `value` is the address as written, not masked. */
export interface IpPrefix extends IpAddress {
  readonly length: number;
}

const bitsOf = (family: AddressFamily): number => (family === 'inet4' ? 32 : 128);

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === undefined || lastColon < 0) return undefined;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an IPv4 or IPv6 address; `undefined` when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = text.includes(':') ? undefined : parseIpv4(text);
  if (v4 !== undefined) return { family: 'inet4', value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 'inet6', value: v6 };
}

/** Parses `address/length`; a bare address gets the full length (/32, /128). */
export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  if (slash < 0) return { ...ip, length: bitsOf(ip.family) };
  const lengthText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  return length > bitsOf(ip.family) ? undefined : { ...ip, length };
}

/** The canonical text of an address: dotted IPv4, RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 'inet4') {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups = [7n, 6n, 5n, 4n, 3n, 2n, 1n, 0n].map((i) => Number((ip.value >> (i * 16n)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** `address/length` in canonical text. */
export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIp(prefix)}/${prefix.length}`;
}

/** The prefix with its host bits cleared (`10.0.0.5/24` → `10.0.0.0/24`). */
export function networkOf(prefix: IpPrefix): IpPrefix {
  const bits = BigInt(bitsOf(prefix.family));
  const hostBits = bits - BigInt(prefix.length);
  const mask = ((1n << bits) - 1n) ^ ((1n << hostBits) - 1n);
  return { family: prefix.family, value: prefix.value & mask, length: prefix.length };
}

/** True when `ip` lies inside `prefix`. */
export function prefixContains(prefix: IpPrefix, ip: IpAddress): boolean {
  if (prefix.family !== ip.family) return false;
  return networkOf({ ...ip, length: prefix.length }).value === networkOf(prefix).value;
}
