/**
 * The simulated kernel's tables: links, addresses and routes, and the change buffer every
 * operation fills and flushes once it is done.
 */
import { PlatformError, type PlatformErrorCode } from '../errors.js';
import type { IpPrefix } from '../ip-prefix.js';
import type { NetworkChange, NetworkChangeKind, NetworkScope, PlatformRoute } from '../network.js';

/** A link as the simulated kernel stores it; operational state is derived, not stored. */
export interface KernelLink {
  name: string;
  index: number;
  kind: string;
  type: string;
  up: boolean;
  /** The cable of a physical link (what carrier-loss faults flip). */
  cable: boolean;
  mtu: number;
  hardwareAddr: string;
  physical: boolean;
  masterName: string | undefined;
  parentName: string | undefined;
  vlanId: number | undefined;
  peerName: string | undefined;
  bondMode: string | undefined;
  /** Admin and running state as last synced, to find transitions. */
  wasUp: boolean;
  wasRunning: boolean;
}

/** An address as the simulated kernel stores it. */
export interface KernelAddress {
  linkName: string;
  prefix: IpPrefix;
  scope: NetworkScope;
  flags: Set<string>;
}

/** The simulated kernel's tables and its pending change notifications. */
export interface KernelState {
  readonly links: Map<string, KernelLink>;
  /** Addresses by link name, each link's in the order they were added (no per-link scans of all). */
  readonly addresses: Map<string, KernelAddress[]>;
  routes: PlatformRoute[];
  nextIndex: number;
  readonly pending: NetworkChange[];
}

/** Creates empty tables. */
export function createKernelState(): KernelState {
  return { links: new Map(), addresses: new Map(), routes: [], nextIndex: 1, pending: [] };
}

/** The addresses of one link. */
export function addressesOf(state: KernelState, linkName: string): readonly KernelAddress[] {
  return state.addresses.get(linkName) ?? [];
}

/** Every address of the machine, link by link. */
export function allAddresses(state: KernelState): KernelAddress[] {
  return [...state.addresses.values()].flat();
}

/** Records a change; duplicates within one operation are folded when flushed. */
export function note(state: KernelState, kind: NetworkChangeKind, linkName?: string): void {
  state.pending.push(linkName === undefined ? { kind } : { kind, linkName });
}

/** Takes the pending changes, each (kind, link) once, in first-seen order. */
export function takePending(state: KernelState): NetworkChange[] {
  const seen = new Set<string>();
  const out: NetworkChange[] = [];
  // As on Linux, a link's or an address's change implies a route change of that link.
  const implied = state.pending.flatMap((c): NetworkChange[] =>
    (c.kind === 'link' || c.kind === 'address') && c.linkName !== undefined
      ? [c, { kind: 'route', linkName: c.linkName }]
      : [c],
  );
  for (const change of implied) {
    const key = `${change.kind}\0${change.linkName ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(change);
  }
  state.pending.length = 0;
  return out;
}

/** Throws a {@link PlatformError} for operation `op`. */
export function fail(code: PlatformErrorCode, op: string, subject: string, message: string): never {
  throw new PlatformError(code, `${op} ${subject}: ${message}`, { op, subject });
}

/** The link named, or `ENODEV` as the kernel says "Cannot find device". */
export function requireLink(state: KernelState, op: string, name: string): KernelLink {
  const link = state.links.get(name);
  if (link === undefined) fail('ENODEV', op, name, `cannot find device "${name}"`);
  return link;
}

/** The lower layer has a carrier: physical cable, veth peer up, VLAN parent running, a running port. */
function lowerCarrier(state: KernelState, link: KernelLink): boolean {
  switch (link.kind) {
    case '':
      return link.type === 'loopback' || link.cable;
    case 'veth': {
      const peer = link.peerName === undefined ? undefined : state.links.get(link.peerName);
      return peer?.up === true;
    }
    case 'vlan': {
      const parent = link.parentName === undefined ? undefined : state.links.get(link.parentName);
      return parent !== undefined && isRunning(state, parent);
    }
    case 'bond':
    case 'bridge': {
      const ports = portsOf(state, link);
      // A bridge without ports reports a carrier (state UNKNOWN); a bond without slaves does not.
      if (ports.length === 0) return link.kind === 'bridge';
      return ports.some((port) => isRunning(state, port));
    }
    default:
      return true;
  }
}

/** Admin up with a carrier: the kernel's `IFF_RUNNING`. */
export function isRunning(state: KernelState, link: KernelLink): boolean {
  return link.up && lowerCarrier(state, link);
}

/** The links enslaved to a bond or bridge. */
export function portsOf(state: KernelState, master: KernelLink): KernelLink[] {
  return [...state.links.values()].filter((l) => l.masterName === master.name);
}
