import { mkdir } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { stringify } from 'yaml';
import { machineStatusController } from '../controllers/runtime/machine-status-controller.js';
import { serviceController } from '../controllers/runtime/service-controller.js';
import type { BootSlot } from '../platform/boot.js';
import { createFileDisk, type FileDisk } from '../platform/disk/file-disk.js';
import type { Platform } from '../platform/platform.js';
import { createSimulatedPlatform } from '../platform/simulated/create-simulated-platform.js';
import { parseCmdlineNetwork } from '../resources/config/cmdline.js';
import { parseMachineConfig } from '../resources/config/load-config.js';
import { parsePlatformMetadata } from '../resources/config/platform-metadata.js';
import { type V1Alpha1ConfigInput, v1alpha1ConfigSchema } from '../resources/config/v1alpha1.js';
import { activePlatformConfigId, PlatformConfigs } from '../resources/network/platform-config.js';
import { type Clock, wallClock } from '../runtime/clock.js';
import type { Runtime } from '../runtime/controller/runtime.js';
import type { State } from '../runtime/state/state.js';
import { configDiff } from './config-history/config-diff.js';
import type { ConfigHistoryEntry } from './config-history/config-history.js';
import { etcdUpgradeGuard, leaveEtcd } from './etcd/etcd-operations.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import type { KubeletServiceOptions } from './kubelet/kubelet-service.js';
import type { ApplyConfigOptions, ApplyConfigResult } from './lifecycle/config-applier.js';
import type { NodeLifecycleHook } from './lifecycle/lifecycle-steps.js';
import { Machine } from './lifecycle/machine.js';
import type { RunningImage, UpgradeRequest, UpgradeResult } from './lifecycle/machine-types.js';
import type { LeaveEtcdHook, UpgradeGuard } from './lifecycle/node-hooks.js';
import { type NodeImage, parseNodeImage } from './lifecycle/node-image.js';
import {
  configControllers,
  etcdControllers,
  kubeletControllers,
  nodeControllers,
} from './node-controllers.js';
import { nodeServices } from './node-services.js';
import { trackStage } from './stage-tracker.js';
import type { Supervisor } from './supervisor/supervisor.js';

/** What `createNode` takes. */
export interface NodeOptions {
  /**
   * The v1alpha1 machine config a fresh disk is installed with (YAML text or an object); none boots
   * into maintenance. Once installed, the node boots from the config in its STATE partition.
   */
  config?: string | V1Alpha1ConfigInput;
  /** The image a fresh disk is installed with (default `v1.0.0`); the node runs its default slot's image. */
  image?: Partial<NodeImage> & { version: string };
  /** What the node acts on; default a simulated machine with one physical link `eth0` and a DHCP server. */
  platform?: Platform;
  /** Where the node keeps its files (created when missing). */
  stateDir: string;
  /** Defaults to the wall clock. */
  clock?: Clock;
  /** Defaults to pino at `warn` on stderr. */
  logger?: Logger;
  /** How the kubelet runs: its binary (default the stand-in kubelet shipped with the package). */
  kubelet?: KubeletServiceOptions;
  /** How long a boot may take to be running and ready before it counts as failed (default 70 min, as Talos). */
  bootTimeoutMs?: number;
  /** The pause before a reboot after a fatal error (default 10 s, as Talos). */
  rebootDelayMs?: number;
  /** Refuses an upgrade with a reason (default: the etcd quorum guard). */
  upgradeGuard?: UpgradeGuard;
  /** Leaves etcd before a graceful reset (default: remove this member through the cluster, wipe its data). */
  leaveEtcd?: LeaveEtcdHook;
  /** Sees every step of apply-config, upgrade, rollback, reset and boot (crash tests stop there). */
  lifecycleHook?: NodeLifecycleHook;
}

/** A Talos-style node: one state, one runtime, its controllers and its platform. */
export interface Node {
  /** The current boot's state: every resource of the node lives here (a reboot makes a new one). */
  readonly state: State;
  /** The current boot's controller runtime. */
  readonly runtime: Runtime;
  /** The platform it acts on. */
  readonly platform: Platform;
  /** The node's events (sequences, phases, tasks, services, configs, lifecycle steps), across reboots. */
  readonly events: EventBus;
  /** The current boot's service supervisor. */
  readonly supervisor: Supervisor;
  /** The node's system disk: partitions as folders of the state directory, every write atomic. */
  readonly disk: FileDisk;
  /**
   * Runs initialize (install a fresh disk, load the config from STATE, start the controllers) and
   * resolves; the boot sequence (services, readiness, upgrade commit) goes on in the background.
   */
  start(): Promise<void>;
  /** Resolves once the node is running and ready (after an upgrade: committed, or reverted and booted again). */
  booted(): Promise<void>;
  /** The slot the node booted and the image it runs. */
  version(): RunningImage;
  /**
   * Applies a machine config by mode (`auto`/`no-reboot`: persistent and active; `staged`: persistent
   * only; `reboot`: persistent, then a reboot; `try`: active until `tryTimeoutMs` unless a later apply
   * confirms). `dryRun` answers the diff and changes nothing. A bad config throws a `ConfigError`
   * naming the line and changes nothing.
   */
  applyConfig(config: string | V1Alpha1ConfigInput, options?: ApplyConfigOptions): Promise<ApplyConfigResult>;
  /** Every applied config, oldest first, with its version, time, author and mode. */
  configHistory(): Promise<ConfigHistoryEntry[]>;
  /** A unified diff between two history versions (canonical documents). */
  configDiff(from: number, to: number): Promise<string>;
  /** Applies an earlier version's document again (a new history entry). */
  restoreConfig(version: number, options?: ApplyConfigOptions): Promise<ApplyConfigResult>;
  /**
   * Installs a new image in the other slot (refused while an upgrade is uncommitted, or when the
   * upgrade guard says no: `UpgradeRefusedError`), then reboots into it; a version that does not
   * come up reverts by itself. `stage` installs at the next boot; `noReboot` leaves the reboot to later.
   */
  upgrade(request: UpgradeRequest): Promise<UpgradeResult>;
  /** Boots the other slot on purpose; resolves once the node has started booting it. */
  rollback(): Promise<BootSlot>;
  /** Stops services and controllers and boots again from the disk. */
  reboot(): Promise<void>;
  /** Wipes STATE and EPHEMERAL and reboots into maintenance; `graceful` (default) cordons and leaves etcd first. */
  reset(options?: { graceful?: boolean }): Promise<void>;
  /** The shutdown sequence: stops the services, then the controllers, and closes the platform. */
  stop(): Promise<void>;
}

function configText(config: string | V1Alpha1ConfigInput): string {
  if (typeof config === 'string') {
    parseMachineConfig(config);
    return config;
  }
  v1alpha1ConfigSchema.parse(config);
  return stringify(config);
}

/**
 * Creates a node on a platform; nothing runs until `start()`.
 *
 * @example
 * ```ts
 * const node = await createNode({ platform: createSimulatedPlatform({ clock, seed: 1, links: [{ name: 'eth0' }] }), stateDir, clock });
 * await node.start();
 * await node.runtime.settled();
 * ```
 * @remarks A config given here, the platform's kernel command line and its metadata are validated
 * before anything is created: a bad one throws a `ConfigError` naming where.
 */
export async function createNode(options: NodeOptions): Promise<Node> {
  const clock = options.clock ?? wallClock;
  const logger = options.logger ?? pino({ level: 'warn' }, pino.destination(2));
  const initial = options.config === undefined ? undefined : configText(options.config);
  const image = parseNodeImage(options.image ?? { version: 'v1.0.0' });
  await mkdir(options.stateDir, { recursive: true });
  const platform =
    options.platform ?? createSimulatedPlatform({ clock, seed: 1, links: [{ name: 'eth0', dhcp: true }] });
  const cmdline = parseCmdlineNetwork(await platform.cmdline());
  const metadata = await platform.metadata();
  const platformConfig = metadata === undefined ? undefined : parsePlatformMetadata(JSON.stringify(metadata));
  const disk = createFileDisk({ stateDir: options.stateDir });
  const events = createEventBus({ clock });
  const stage = trackStage(events);
  const machine = new Machine({
    stateDir: options.stateDir,
    disk,
    platform,
    clock,
    logger,
    events,
    processes: platform.processes,
    install: { image, ...(initial === undefined ? {} : { config: initial }) },
    bootTimeoutMs: options.bootTimeoutMs ?? 70 * 60_000,
    rebootDelayMs: options.rebootDelayMs ?? 10_000,
    ...(options.lifecycleHook ? { hook: options.lifecycleHook } : {}),
    // etcd's quorum guard and leave apply on every node; both do nothing where etcd holds no data.
    upgradeGuard: options.upgradeGuard ?? etcdUpgradeGuard,
    leaveEtcd: options.leaveEtcd ?? leaveEtcd,
    async seed(state) {
      if (platformConfig !== undefined) {
        await state.create(PlatformConfigs.make(activePlatformConfigId, platformConfig));
      }
    },
    services: (context) =>
      nodeServices({ ...context, ...(options.kubelet ? { kubelet: options.kubelet } : {}) }),
    controllers: ({ supervisor, state }) => [
      ...configControllers({ cmdline }),
      ...nodeControllers(platform, { stateDir: options.stateDir }),
      ...kubeletControllers({ stateDir: options.stateDir, supervisor }),
      ...etcdControllers({ state, disk, stateDir: options.stateDir, clock, logger }),
      serviceController({ list: () => supervisor.list(), changes: () => supervisor.changes() }),
      machineStatusController({
        stage: () => stage.stage(),
        stageChanges: () => stage.changes(),
        // A service that ran once and finished is done, not missing.
        requiredServices: () =>
          supervisor
            .list()
            .filter((s) => s.state !== 'Finished')
            .map((s) => s.id),
      }),
    ],
  });

  let started = false;
  let stopped: Promise<void> | undefined;
  return {
    get state() {
      return machine.incarnation.state;
    },
    get runtime() {
      return machine.incarnation.runtime;
    },
    get supervisor() {
      return machine.incarnation.supervisor;
    },
    platform,
    events,
    disk,
    async start() {
      if (started) throw new Error('node already started');
      started = true;
      await machine.start();
    },
    booted: () => machine.booted(),
    version: () => machine.running(),
    applyConfig: (config, applyOptions) => machine.applier.apply(config, applyOptions),
    configHistory: () => machine.history.list(),
    async configDiff(from, to) {
      const [a, b] = [await machine.history.get(from), await machine.history.get(to)];
      return configDiff(parseMachineConfig(a.config), parseMachineConfig(b.config), {
        before: `version ${from}`,
        after: `version ${to}`,
      });
    },
    async restoreConfig(version, applyOptions) {
      const entry = await machine.history.get(version);
      return machine.applier.apply(entry.config, applyOptions);
    },
    upgrade: (request) => machine.upgrade(request),
    rollback: () => machine.rollback(),
    reboot: () => machine.reboot(),
    reset: (resetOptions) => machine.reset(resetOptions),
    stop() {
      stopped ??= (async () => {
        await machine.shutdown();
        stage.close();
        await platform.close();
        await machine.powerOff();
      })();
      return stopped;
    },
  };
}
