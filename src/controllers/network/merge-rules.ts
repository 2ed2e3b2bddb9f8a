import type { AddressSpecSpec } from '../../resources/network/address-spec.js';
import type { HostnameSpecSpec } from '../../resources/network/hostname-spec.js';
import { ipFamily } from '../../resources/network/ip.js';
import type { LinkSpecSpec } from '../../resources/network/link-spec.js';
import type { ResolverSpecSpec } from '../../resources/network/resolver-spec.js';
import type { TimeServerSpecSpec } from '../../resources/network/time-server-spec.js';

/*
 * Talos' merge rules of per-layer network specs (research §1.4). Every function takes the specs of
 * one merged id, lowest layer first (ties in id order), and returns the merged spec or `null`.
 */

/** Keeps the first occurrence of each value, in order. */
function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** The spec of the highest layer: addresses, routes and operators (keyed union, higher wins). */
export function mergeHighestWins<TSpec>(specs: readonly TSpec[]): TSpec | null {
  return specs[specs.length - 1] ?? null;
}

/** Address flags the kernel sets itself: never part of a merged spec. */
const kernelManagedFlags = new Set(['tentative', 'dadfailed', 'deprecated', 'optimistic', 'secondary']);

/** An address: the highest layer wins, without the flags the kernel manages. */
export function mergeAddressSpecs(specs: readonly AddressSpecSpec[]): AddressSpecSpec | null {
  const top = mergeHighestWins(specs);
  if (top === null) return null;
  return { ...top, flags: top.flags.filter((f) => !kernelManagedFlags.has(f)) };
}

/**
 * A link, field by field: a higher layer overwrites a field only with a non-zero value (so a config
 * that says nothing about MTU keeps a lower layer's); bond master settings replace wholesale when
 * set. The merged layer is the highest one.
 */
export function mergeLinkSpecs(specs: readonly LinkSpecSpec[]): LinkSpecSpec | null {
  const [first, ...rest] = specs;
  if (first === undefined) return null;
  const out: LinkSpecSpec = { ...first };
  for (const s of rest) {
    if (s.logical) out.logical = true;
    if (s.up) out.up = true;
    if (s.mtu !== 0) out.mtu = s.mtu;
    if (s.kind !== '') out.kind = s.kind;
    if (s.type !== '') out.type = s.type;
    if (s.hardwareAddr !== '') out.hardwareAddr = s.hardwareAddr;
    if (s.parentName !== '') out.parentName = s.parentName;
    if (s.bondSlave.masterName !== '') out.bondSlave = s.bondSlave;
    if (s.vlan.vid !== 0) out.vlan = s.vlan;
    if (s.bondMaster.mode !== '') out.bondMaster = s.bondMaster;
    out.layer = s.layer;
  }
  return out;
}

/** The hostname: the highest layer with a non-empty hostname wins; none = no hostname spec. */
export function mergeHostnameSpecs(specs: readonly HostnameSpecSpec[]): HostnameSpecSpec | null {
  for (let i = specs.length - 1; i >= 0; i--) {
    if (specs[i]!.hostname !== '') return specs[i]!;
  }
  return null;
}

/**
 * Name servers of a lower layer over what is below it, family by family: a layer with only IPv4
 * servers keeps the IPv6 ones below it, and vice versa; a layer with none keeps all.
 */
function mergeByFamily(below: readonly string[], layer: readonly string[]): string[] {
  const v4 = layer.filter((a) => ipFamily(a) === 'inet4');
  const v6 = layer.filter((a) => ipFamily(a) === 'inet6');
  if (v4.length === 0 && v6.length === 0) return [...below];
  if (v6.length === 0) return [...v4, ...below.filter((a) => ipFamily(a) === 'inet6')];
  if (v4.length === 0) return [...below.filter((a) => ipFamily(a) === 'inet4'), ...v6];
  return [...layer];
}

/**
 * The resolvers, walking layers upwards: specs of the same layer append; the configuration layer
 * replaces the name servers only if it lists any and the search domains only if it sets any; lower
 * layers merge name servers family by family and replace search domains they set.
 */
export function mergeResolverSpecs(specs: readonly ResolverSpecSpec[]): ResolverSpecSpec | null {
  if (specs.length === 0) return null;
  let dnsServers: string[] = [];
  let searchDomains: string[] = [];
  let previous: ResolverSpecSpec['layer'] | undefined;
  for (const s of specs) {
    if (s.layer === previous) {
      dnsServers = unique([...dnsServers, ...s.dnsServers]);
      searchDomains = unique([...searchDomains, ...s.searchDomains]);
      continue;
    }
    if (s.layer === 'configuration') {
      if (s.dnsServers.length > 0) dnsServers = unique(s.dnsServers);
    } else {
      dnsServers = unique(mergeByFamily(dnsServers, s.dnsServers));
    }
    if (s.searchDomains.length > 0) searchDomains = unique(s.searchDomains);
    previous = s.layer;
  }
  return { dnsServers, searchDomains, layer: previous ?? 'default' };
}

/**
 * The time servers: the highest layer that lists any wins; specs of that layer are concatenated
 * (two DHCP links, both servers); NTS only if all of them ask for it.
 */
export function mergeTimeServerSpecs(specs: readonly TimeServerSpecSpec[]): TimeServerSpecSpec | null {
  if (specs.length === 0) return null;
  const listing = specs.filter((s) => s.timeServers.length > 0);
  const top = listing[listing.length - 1] ?? specs[specs.length - 1]!;
  const layer = specs.filter(
    (s) => s.layer === top.layer && (s.timeServers.length > 0 || listing.length === 0),
  );
  return {
    timeServers: unique(layer.flatMap((s) => s.timeServers)),
    useNTS: layer.every((s) => s.useNTS),
    layer: top.layer,
  };
}
