/**
 * The Linux platform: a node's network is one network namespace driven with iproute2, its
 * hostname and resolvers are files under its state directory, its clock is the system clock.
 */
import { readFile } from 'node:fs/promises';
import { type Logger, pino } from 'pino';
import { EMPTY, type Observable, Subject } from 'rxjs';
import { type Clock, wallClock } from '../../runtime/clock.js';
import type { DhcpChange, DhcpLease, DhcpPlatform } from '../dhcp.js';
import { PlatformError } from '../errors.js';
import type { Platform } from '../platform.js';
import { createChildProcesses } from '../processes/child-processes.js';
import type { TimeChange, TimePlatform, TimeSyncStatus } from '../time.js';
import { LinuxNetwork } from './linux-network.js';

/** Options of {@link createLinuxPlatform}. */
export interface LinuxPlatformOptions {
  /** The network namespace (as `ip netns add` named it) the node owns; nothing outside it is touched. */
  readonly netns: string;
  /** Where the platform keeps its files (hostname, resolvers). */
  readonly stateDir: string;
  /** Links to report as physical (kind `''`, never deleted), e.g. veth ends standing in for NICs. */
  readonly physicalLinks?: readonly string[];
  /** The kernel command line the node should see; default `''` (the host's is not the node's). */
  readonly cmdline?: string;
  /** A JSON file of platform metadata; none by default. */
  readonly metadataFile?: string;
  /** The clock of the monitor's restarts; default the wall clock. */
  readonly clock?: Clock;
  /** Where failures are logged; default silent. */
  readonly logger?: Logger;
}

/** A Linux platform: the {@link Platform} over a network namespace. */
export interface LinuxPlatform extends Platform {
  /** Always `linux`. */
  readonly kind: 'linux';
}

const unsupported = (op: string) =>
  new PlatformError(
    'EOPNOTSUPP',
    `${op}: DHCP is not supported on the Linux platform; configure static addresses`,
    { op },
  );

/**
 * DHCP on Linux: not supported for now. Every call rejects with `EOPNOTSUPP`; no lease ever exists.
 */
class LinuxDhcp implements DhcpPlatform {
  async start(): Promise<void> {
    throw unsupported('start');
  }
  async stop(): Promise<void> {
    throw unsupported('stop');
  }
  async renew(): Promise<DhcpLease> {
    throw unsupported('renew');
  }
  lease(): DhcpLease | undefined {
    return undefined;
  }
  clients(): string[] {
    return [];
  }
  changes(): Observable<DhcpChange> {
    return EMPTY;
  }
}

/** The system clock, read only: always synced (the host keeps it), never jumped by the node. */
class LinuxTime implements TimePlatform {
  #servers: readonly string[] = [];
  readonly #changes = new Subject<TimeChange>();
  readonly #startedAt = Date.now();
  now(): number {
    return Date.now();
  }
  status(): TimeSyncStatus {
    return { synced: true, servers: [...this.#servers], lastSyncAt: this.#startedAt, jumps: 0 };
  }
  async setServers(servers: readonly string[]): Promise<void> {
    if (servers.some((s) => typeof s !== 'string' || s === '')) {
      throw new PlatformError('EINVAL', 'setServers: a time server must be a non-empty name', {
        op: 'setServers',
      });
    }
    this.#servers = [...servers];
  }
  changes(): Observable<TimeChange> {
    return this.#changes.asObservable();
  }
  close(): void {
    this.#changes.complete();
  }
}

/**
 * Creates a Linux platform over an existing network namespace.
 *
 * @remarks Needs root and iproute2 (`apt-get install -y iproute2`). Links, addresses and routes
 * are read and written with `ip -n <netns>`; changes come from `ip monitor`. The hostname and
 * resolvers are kept as files under `stateDir`, not applied to the host. DHCP is not supported:
 * `dhcp` rejects every call with `EOPNOTSUPP`.
 *
 * @example
 * ```ts
 * const platform = createLinuxPlatform({ netns: 'node-1', stateDir: '/var/lib/node-1', physicalLinks: ['eth0'] });
 * await platform.network.ensureLink({ name: 'eth0', logical: false, up: true });
 * ```
 */
export function createLinuxPlatform(options: LinuxPlatformOptions): LinuxPlatform {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/.test(options.netns)) {
    throw new PlatformError(
      'EINVAL',
      `createLinuxPlatform: invalid network namespace name ${JSON.stringify(options.netns)}`,
    );
  }
  if (options.stateDir === '') throw new PlatformError('EINVAL', 'createLinuxPlatform: stateDir is required');
  const network = new LinuxNetwork({
    netns: options.netns,
    stateDir: options.stateDir,
    physicalLinks: options.physicalLinks ?? [],
    clock: options.clock ?? wallClock,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  const time = new LinuxTime();
  let closed = false;
  return {
    kind: 'linux',
    network,
    dhcp: new LinuxDhcp(),
    time,
    processes: createChildProcesses(),
    cmdline: async () => options.cmdline ?? '',
    async metadata() {
      if (options.metadataFile === undefined) return undefined;
      let text: string;
      try {
        text = await readFile(options.metadataFile, 'utf8');
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : 'EIO';
        throw new PlatformError(code, `metadata ${options.metadataFile}: ${String(cause)}`, {
          op: 'metadata',
          cause,
        });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
        throw new PlatformError('EINVAL', `metadata ${options.metadataFile}: not JSON (${String(cause)})`, {
          op: 'metadata',
          cause,
        });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      network.close();
      time.close();
    },
  };
}
