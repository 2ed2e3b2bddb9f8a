import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

/** An address family, as Talos names them. */
export type AddressFamily = 'inet4' | 'inet6';

/** The zod schema of an address family. */
export const addressFamilySchema = z.enum(['inet4', 'inet6']);

/** The family of an IP address (`10.0.0.1`, `fd00::1`), or `undefined` if it is not one. */
export function ipFamily(ip: string): AddressFamily | undefined {
  if (isIPv4(ip)) return 'inet4';
  if (isIPv6(ip) && !ip.includes('%')) return 'inet6';
  return undefined;
}

/** A parsed prefix in CIDR notation: the address as written and its prefix length. */
export interface ParsedPrefix {
  readonly ip: string;
  readonly bits: number;
  readonly family: AddressFamily;
}

/** Parses `10.0.0.5/24` or `fd00::5/64`; `undefined` when it is not a valid CIDR. */
export function parsePrefix(text: string): ParsedPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const ip = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  const family = ipFamily(ip);
  if (family === undefined || bits > (family === 'inet4' ? 32 : 128)) return undefined;
  return { ip, bits, family };
}

/** The zod schema of a prefix in CIDR notation (`10.0.0.5/24`): a bad one is named in the error. */
export const prefixSchema = z
  .string()
  .refine((s) => parsePrefix(s) !== undefined, { error: (i) => `invalid CIDR ${JSON.stringify(i.input)}` });

/** The zod schema of a bare IP address (`10.0.0.1`, `fd00::1`). */
export const ipSchema = z.string().refine((s) => ipFamily(s) !== undefined, {
  error: (i) => `invalid IP address ${JSON.stringify(i.input)}`,
});

/** A prefix in CIDR notation, or '' for none (a default route's destination). */
export const prefixOrEmptySchema = z.string().refine((s) => s === '' || parsePrefix(s) !== undefined, {
  error: (i) => `invalid CIDR ${JSON.stringify(i.input)}`,
});

/** An IP address, or '' for none. */
export const ipOrEmptySchema = z.string().refine((s) => s === '' || ipFamily(s) !== undefined, {
  error: (i) => `invalid IP address ${JSON.stringify(i.input)}`,
});
