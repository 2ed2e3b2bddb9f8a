/**
 * The network part of a platform: the kernel's links, addresses and routes, the hostname and the
 * resolvers, and a stream of their changes. Plain data only: controllers translate to resources.
 */
import type { Observable } from 'rxjs';

/** An address family, as Talos names it. */
export type AddressFamily = 'inet4' | 'inet6';

/** A link's operational state (RFC 2863), as the kernel reports it in lower case. */
export type LinkOperationalState =
  | 'unknown'
  | 'notpresent'
  | 'down'
  | 'lowerlayerdown'
  | 'testing'
  | 'dormant'
  | 'up';

/** The scope of an address or a route. */
export type NetworkScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** A link (network interface) as the kernel holds it. */
export interface PlatformLink {
  /** The kernel name, e.g. `eth0`. */
  readonly name: string;
  /** The kernel's interface index (`lo` is 1). */
  readonly index: number;
  /** The link kind: `''` for a physical link, else `dummy`, `vlan`, `bond`, `bridge`, `veth`, ... */
  readonly kind: string;
  /** The link-layer type: `ether`, `loopback`, `none`, ... */
  readonly type: string;
  /** Administratively up (`IFF_UP`). */
  readonly up: boolean;
  /** The operational state the kernel derives from admin state and carrier. */
  readonly operationalState: LinkOperationalState;
  /** The lower layer reports a carrier (cable plugged, peer up). */
  readonly carrier: boolean;
  /** The MTU in bytes. */
  readonly mtu: number;
  /** The MAC address, `aa:bb:cc:dd:ee:ff`, or `''` when the link has none. */
  readonly hardwareAddr: string;
  /** A physical link (a NIC, or a link the platform was told to treat as one): never deleted. */
  readonly physical: boolean;
  /** The bond or bridge this link is enslaved to. */
  readonly masterName?: string;
  /** The parent link of a VLAN (or the peer of a veth, when known). */
  readonly parentName?: string;
  /** The VLAN id of a `vlan` link. */
  readonly vlanId?: number;
}

/**
 * What {@link NetworkPlatform.ensureLink} makes true of a link.
 *
 * @remarks Absent optional fields are left as they are. A logical link is created when missing; a
 * physical one must exist (`ENODEV`).
 */
export interface PlatformLinkSpec {
  /** The link name. */
  readonly name: string;
  /** A logical link (created and deleted by the node) rather than a physical one. */
  readonly logical: boolean;
  /** Administratively up or down. */
  readonly up: boolean;
  /** The kind to create a logical link with (`dummy`, `vlan`, `bond`, `bridge`, `veth`); required when logical. */
  readonly kind?: string;
  /** The MTU to set; `0` or absent leaves it. */
  readonly mtu?: number;
  /** The MAC address to set. */
  readonly hardwareAddr?: string;
  /** The parent of a VLAN (required for `vlan`). */
  readonly parentName?: string;
  /** The VLAN id (required for `vlan`). */
  readonly vlanId?: number;
  /** The peer name of a `veth` (required for `veth`). */
  readonly peerName?: string;
  /** The bond mode of a `bond`, e.g. `active-backup`, `802.3ad`. */
  readonly bondMode?: string;
  /** Enslave to this bond or bridge; `''` releases the link from its master. */
  readonly masterName?: string;
}

/** An address as the kernel holds it. */
export interface PlatformAddress {
  /** The link it is on. */
  readonly linkName: string;
  /** The address with its prefix length, e.g. `10.0.0.5/24` or `fd00::5/64` (IPv6 in canonical form). */
  readonly address: string;
  /** The family of `address`. */
  readonly family: AddressFamily;
  /** Its scope: `host` for loopback, `link` for link-local, else `global`. */
  readonly scope: NetworkScope;
  /** Kernel flags in lower case, sorted: `noprefixroute`, `nodad`, `tentative`, `dynamic`, `permanent`, ... */
  readonly flags: readonly string[];
}

/** What {@link NetworkPlatform.addAddress} adds. */
export interface PlatformAddressSpec {
  /** The link to add it on. */
  readonly linkName: string;
  /** The address with its prefix length, e.g. `10.0.0.5/24`. */
  readonly address: string;
  /** The scope; default `host` for 127.0.0.0/8 and ::1, `link` for fe80::/10, else `global`. */
  readonly scope?: NetworkScope;
  /** Flags to set: `noprefixroute`, `nodad`. */
  readonly flags?: readonly string[];
}

/** Names an address to remove: the link and the address with its prefix length. */
export interface PlatformAddressRef {
  /** The link it is on. */
  readonly linkName: string;
  /** The address with its prefix length. */
  readonly address: string;
}

/** A route as the kernel holds it (the main table and custom tables; the kernel's `local` table is left out). */
export interface PlatformRoute {
  /** The family. */
  readonly family: AddressFamily;
  /** The destination prefix, e.g. `10.0.0.0/24`; `''` for the default route. */
  readonly destination: string;
  /** The gateway (next hop), or `''` for a directly connected route. */
  readonly gateway: string;
  /** The preferred source address, or `''`. */
  readonly source: string;
  /** The outgoing link, or `''` (e.g. a blackhole route). */
  readonly outLinkName: string;
  /** The routing table: 254 main, or a custom table number. */
  readonly table: number;
  /** The metric (`priority` in netlink). */
  readonly priority: number;
  /** The scope: `global` via a gateway, `link` for a connected prefix, `host`. */
  readonly scope: NetworkScope;
  /** The route type: `unicast`, `blackhole`, `unreachable`, `prohibit`, ... */
  readonly type: string;
  /** Who installed it: `kernel` (prefix routes), `boot`, `static`, `dhcp`, or a number. */
  readonly protocol: string;
}

/**
 * What {@link NetworkPlatform.addRoute} adds. Identity in the kernel is (family, table, destination,
 * priority): a second route with the same identity is `EEXIST`, whatever its gateway.
 */
export interface PlatformRouteSpec {
  /** The family. */
  readonly family: AddressFamily;
  /** The destination prefix; `''` for the default route. */
  readonly destination: string;
  /** The gateway, or `''`/absent for a connected route (then `outLinkName` is required). */
  readonly gateway?: string;
  /** The preferred source address. */
  readonly source?: string;
  /** The outgoing link. */
  readonly outLinkName?: string;
  /** The table; default 254 (main). */
  readonly table?: number;
  /** The metric; default 0 for IPv4, 1024 for IPv6. */
  readonly priority?: number;
  /** The scope; default `global` with a gateway, `link` without. */
  readonly scope?: NetworkScope;
  /** The type; default `unicast`. */
  readonly type?: string;
  /** The protocol; default `static`. */
  readonly protocol?: string;
}

/**
 * Names a route to remove: its identity (family, table, destination, priority); `gateway` and
 * `outLinkName`, when given, must match too. An absent route is `ESRCH`.
 */
export interface PlatformRouteRef {
  /** The family. */
  readonly family: AddressFamily;
  /** The destination prefix; `''` for the default route. */
  readonly destination: string;
  /** The table; default 254. */
  readonly table?: number;
  /** The metric; default 0 for IPv4, 1024 for IPv6. */
  readonly priority?: number;
  /** When given, only a route via this gateway matches. */
  readonly gateway?: string;
  /** When given, only a route out of this link matches. */
  readonly outLinkName?: string;
}

/** The node's hostname and domain name. */
export interface PlatformHostname {
  /** The short host name, e.g. `talos-10-0-0-5`. */
  readonly hostname: string;
  /** The domain name, or `''`. */
  readonly domainname: string;
}

/** The node's DNS resolver settings. */
export interface PlatformResolvers {
  /** Name server addresses, in order. */
  readonly nameServers: readonly string[];
  /** Search domains, in order. */
  readonly searchDomains: readonly string[];
}

/** What changed: controllers re-list that kind on a change, they never apply deltas. */
export type NetworkChangeKind = 'link' | 'address' | 'route' | 'hostname' | 'resolvers';

/**
 * One change the platform observed (made by the node or behind its back).
 *
 * @remarks The kernel removes routes silently when a link goes down or loses its last address;
 * so a `link` or `address` change of a link comes with a `route` change of that link too.
 */
export interface NetworkChange {
  /** Which kind of object changed. */
  readonly kind: NetworkChangeKind;
  /** The link concerned, when known. */
  readonly linkName?: string;
}

/**
 * The network kernel of a node, as controllers see it.
 *
 * @remarks Writes follow kernel semantics and throw a {@link PlatformError}: a duplicate add is
 * `EEXIST`, a missing link `ENODEV`, a missing address `EADDRNOTAVAIL`, a missing route `ESRCH`.
 * Reads are snapshots; {@link NetworkPlatform.changes} says when to read again.
 */
export interface NetworkPlatform {
  /** Every link, ordered by index. */
  links(): Promise<PlatformLink[]>;
  /** Every address on every link, ordered by link index then address. */
  addresses(): Promise<PlatformAddress[]>;
  /** Every route of the main and custom tables (not the kernel's `local` table). */
  routes(): Promise<PlatformRoute[]>;
  /** Creates a missing logical link, then sets admin state, MTU, MAC and master as the spec says. */
  ensureLink(spec: PlatformLinkSpec): Promise<void>;
  /** Deletes a logical link (`ENODEV` if absent, `EOPNOTSUPP` for a physical one); its addresses and routes go with it. */
  deleteLink(name: string): Promise<void>;
  /** Adds an address (`EEXIST` if that link has it, `ENODEV` if the link is missing); adds its prefix route when the link is up. */
  addAddress(spec: PlatformAddressSpec): Promise<void>;
  /** Removes an address (`EADDRNOTAVAIL` if absent); routes that depended on it go too. */
  removeAddress(ref: PlatformAddressRef): Promise<void>;
  /** Adds a route (`EEXIST`, `ENODEV`, `ENETDOWN` for a down link, `ENETUNREACH` for an unreachable gateway). */
  addRoute(spec: PlatformRouteSpec): Promise<void>;
  /** Removes a route (`ESRCH` if absent). */
  removeRoute(ref: PlatformRouteRef): Promise<void>;
  /** The current hostname and domain name. */
  hostname(): Promise<PlatformHostname>;
  /** Sets the hostname and domain name (`EINVAL` for a name that is not a valid DNS label). */
  setHostname(hostname: string, domainname: string): Promise<void>;
  /** The current resolvers. */
  resolvers(): Promise<PlatformResolvers>;
  /** Sets the resolvers (`EINVAL` for an address that is not an IP). */
  setResolvers(resolvers: PlatformResolvers): Promise<void>;
  /** A hot stream of changes of any kind, including the node's own writes; completes when the platform closes. */
  changes(): Observable<NetworkChange>;
}
