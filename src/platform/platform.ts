/**
 * A node's platform: everything a node's controllers act on in the outside world, behind one
 * interface with a simulated and a Linux implementation.
 */
import type { DhcpPlatform } from './dhcp.js';
import type { NetworkPlatform } from './network.js';
import type { ProcessPlatform } from './processes.js';
import type { TimePlatform } from './time.js';

/**
 * The parts a node acts on. The disk and boot slots are real files under the node's state
 * directory on every platform, so the node makes them itself (`createFileDisk`, `createDiskBoot`).
 */
export interface Platform {
  /** Which implementation this is: `simulated` or `linux`. */
  readonly kind: 'simulated' | 'linux';
  /** Links, addresses, routes, hostname, resolvers. */
  readonly network: NetworkPlatform;
  /** DHCPv4 clients per link. */
  readonly dhcp: DhcpPlatform;
  /** The clock and its synchronisation. */
  readonly time: TimePlatform;
  /** The programs the node's services run (etcd, the kubelet). */
  readonly processes: ProcessPlatform;
  /** The kernel command line the node booted with (`ip=`, `talos.hostname=`, ...), `''` when none. */
  cmdline(): Promise<string>;
  /** The platform metadata (parsed JSON, e.g. a nocloud network config), or `undefined` when there is none. */
  metadata(): Promise<unknown>;
  /** Stops everything the platform runs (monitors, clients, timers); the change streams complete. Idempotent. */
  close(): Promise<void>;
}
