/**
 * The simulated platform: an in-memory machine (kernel, DHCP servers, a clock that syncs) that runs
 * entirely on the injected clock and a seed, with hooks to inject the faults a real machine has.
 */
import type { Clock } from '../../runtime/clock.js';
import { seededRandom } from '../../runtime/seeded-random.js';
import { PlatformError, type PlatformErrorCode } from '../errors.js';
import type { PlatformAddressRef } from '../network.js';
import type { Platform } from '../platform.js';
import { createScriptedProcesses, type ScriptedProgram } from '../processes/scripted-processes.js';
import type { ProcessPlatform } from '../processes.js';
import { SimulatedDhcp, type SimulatedDhcpServerOptions } from './simulated-dhcp.js';
import { type NetworkWriteOp, type SimulatedLinkOptions, SimulatedNetwork } from './simulated-network.js';
import { SimulatedTime, type SimulatedTimeOptions } from './simulated-time.js';

/** A physical link of the simulated machine and, with `dhcp`, the DHCP server on its segment. */
export interface SimulatedPlatformLink extends SimulatedLinkOptions {
  /** A DHCP server on this link: `true` for the defaults, or its options. */
  readonly dhcp?: boolean | SimulatedDhcpServerOptions;
}

/** Options of {@link createSimulatedPlatform}. */
export interface SimulatedPlatformOptions {
  /** The clock every delay runs on (a virtual clock in tests). */
  readonly clock: Clock;
  /** The seed of every random choice (MACs, DHCP addresses, retry jitter); print it when a test fails. */
  readonly seed: number;
  /** The physical links; `lo` is always there. */
  readonly links?: readonly SimulatedPlatformLink[];
  /** The initial hostname; default `''`. */
  readonly hostname?: string;
  /** The kernel command line; default `''`. */
  readonly cmdline?: string;
  /** The platform metadata (JSON-compatible); default none. */
  readonly metadata?: unknown;
  /** How the clock synchronises. */
  readonly time?: SimulatedTimeOptions;
  /** Scripted programs by command name, run on the simulation's clock; default none. */
  readonly programs?: Readonly<Record<string, ScriptedProgram>>;
  /**
   * The process platform, replacing the scripted one: real child processes (`createChildProcesses`)
   * mix a simulated network with real etcd members.
   */
  readonly processes?: ProcessPlatform;
}

/** The outside-world events a test makes happen to a simulated machine. */
interface SimulatedFaults {
  /** Unplugs (`false`) or plugs (`true`) a physical link's cable. */
  setCarrier(linkName: string, carrier: boolean): void;
  /** Hot-plugs a new physical link, optionally with a DHCP server. */
  plugLink(link: SimulatedPlatformLink): void;
  /** Removes an address behind the node's back (as a manual `ip addr del`), with its routes. */
  removeAddress(ref: PlatformAddressRef): void;
  /** Makes the next call of `op` throw a PlatformError with `code`, changing nothing. */
  failNext(op: NetworkWriteOp, code: PlatformErrorCode): void;
  /** Reconfigures a link's DHCP server (fields merged: `{ silent: true }`, `{ responseDelayMs: 30_000 }`); `undefined` removes it. */
  dhcpServer(linkName: string, options: SimulatedDhcpServerOptions | undefined): void;
  /** Steps the platform clock by `ms` (negative: backward). */
  jumpTime(ms: number): void;
  /** The clock loses synchronisation; it syncs again after the sync delay. */
  loseTimeSync(): void;
}

/** A simulated machine: the {@link Platform} plus its fault hooks. */
export interface SimulatedPlatform extends Platform {
  /** Always `simulated`. */
  readonly kind: 'simulated';
  /** Faults to inject. */
  readonly faults: SimulatedFaults;
}

/** The longest delay a Node.js timer takes (about 24.8 days). */
const maxTimerMs = 2 ** 31 - 1;

/**
 * Keeps the process alive until released, as a real machine's kernel and DHCP client do until it
 * shuts down (the Linux platform's `ip monitor` child does the same). The platform's own delays run
 * on the injected clock, whose wall timers are unref'd: without this, a script on the wall clock
 * that waits for a lease would exit while the simulated DHCP server is still answering.
 */
function holdProcess(): { release(): void } {
  // A timer that never fires: a liveness handle, not a use of time.
  const handle = setInterval(() => undefined, maxTimerMs);
  return { release: () => clearInterval(handle) };
}

/** A locally administered unicast MAC from the seeded generator. */
function macFrom(next: () => number): () => string {
  return () => {
    const bytes = Array.from({ length: 6 }, () => Math.floor(next() * 256));
    bytes[0] = (bytes[0]! & 0xfc) | 0x02;
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
  };
}

/**
 * Creates a simulated machine: `lo` plus the given physical links (all down, as at boot), a DHCP
 * server on each link that asks for one, a clock that syncs once given servers. Like a real
 * machine it keeps the process alive until `close()`.
 *
 * @example
 * ```ts
 * const platform = createSimulatedPlatform({ clock, seed: 1, links: [{ name: 'eth0', dhcp: true }] });
 * await platform.network.ensureLink({ name: 'eth0', logical: false, up: true });
 * await platform.dhcp.start('eth0');
 * await clock.advance(1_000); // platform.dhcp.lease('eth0') now holds 10.1.0.x/24
 * ```
 */
export function createSimulatedPlatform(options: SimulatedPlatformOptions): SimulatedPlatform {
  const random = seededRandom(options.seed);
  const macRandom = random.fork();
  const network = new SimulatedNetwork({
    mac: macFrom(() => macRandom.next()),
    hostname: options.hostname ?? '',
  });
  const time = new SimulatedTime(options.clock, options.time);
  const dhcp = new SimulatedDhcp({
    clock: options.clock,
    now: () => time.now(),
    random: random.fork(),
    network,
  });
  // The n-th physical link's DHCP server defaults to 10.n.0.0/24.
  const positions = new Map<string, number>();
  const plug = (link: SimulatedPlatformLink) => {
    const { dhcp: server, ...rest } = link;
    network.plugLink(rest);
    positions.set(link.name, positions.size + 1);
    if (server !== undefined && server !== false) {
      dhcp.configureServer(link.name, positions.get(link.name)!, server === true ? {} : server);
    }
  };
  for (const link of options.links ?? []) plug(link);
  const metadata = options.metadata === undefined ? undefined : JSON.stringify(options.metadata);
  const alive = holdProcess();
  let closed = false;
  return {
    kind: 'simulated',
    network,
    dhcp,
    time,
    processes:
      options.processes ??
      createScriptedProcesses({ clock: options.clock, programs: options.programs ?? {} }),
    cmdline: async () => options.cmdline ?? '',
    metadata: async () => (metadata === undefined ? undefined : JSON.parse(metadata)),
    async close() {
      if (closed) return;
      closed = true;
      alive.release();
      dhcp.close();
      time.close();
      network.close();
    },
    faults: {
      setCarrier: (linkName, carrier) => network.setCarrier(linkName, carrier),
      plugLink: plug,
      removeAddress: (ref) => network.removeAddressBehindBack(ref),
      failNext: (op, code) => network.failNext(op, code),
      dhcpServer(linkName, server) {
        const position = positions.get(linkName);
        if (position === undefined) {
          throw new PlatformError('ENODEV', `dhcpServer ${linkName}: no such physical link`, {
            subject: linkName,
          });
        }
        dhcp.configureServer(linkName, position, server);
      },
      jumpTime: (ms) => time.jump(ms),
      loseTimeSync: () => time.loseSync(),
    },
  };
}
