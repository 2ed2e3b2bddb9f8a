import { mkdir } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { machineStatusController } from '../controllers/runtime/machine-status-controller.js';
import { serviceController } from '../controllers/runtime/service-controller.js';
import { createFileDisk, type FileDisk } from '../platform/disk/file-disk.js';
import type { Platform } from '../platform/platform.js';
import { createSimulatedPlatform } from '../platform/simulated/create-simulated-platform.js';
import { parseCmdlineNetwork } from '../resources/config/cmdline.js';
import { parseMachineConfig } from '../resources/config/load-config.js';
import {
  activeMachineConfigId,
  MachineConfigs,
  persistentMachineConfigId,
} from '../resources/config/machine-config.js';
import { parsePlatformMetadata } from '../resources/config/platform-metadata.js';
import {
  type V1Alpha1Config,
  type V1Alpha1ConfigInput,
  v1alpha1ConfigSchema,
} from '../resources/config/v1alpha1.js';
import { activePlatformConfigId, PlatformConfigs } from '../resources/network/platform-config.js';
import { type Clock, wallClock } from '../runtime/clock.js';
import { createRuntime, type Runtime } from '../runtime/controller/runtime.js';
import { createState } from '../runtime/state/create-state.js';
import type { State } from '../runtime/state/state.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { configControllers, nodeControllers } from './node-controllers.js';
import { nodeServices } from './node-services.js';
import { trackStage } from './stage-tracker.js';
import { createSupervisor, type Supervisor } from './supervisor/supervisor.js';

/** What `createNode` takes. */
export interface NodeOptions {
  /** A v1alpha1 machine config (YAML text or an object); none boots into maintenance. */
  config?: string | V1Alpha1ConfigInput;
  /** What the node acts on; default a simulated machine with one physical link `eth0` and a DHCP server. */
  platform?: Platform;
  /** Where the node keeps its files (created when missing). */
  stateDir: string;
  /** Defaults to the wall clock. */
  clock?: Clock;
  /** Defaults to pino at `warn` on stderr. */
  logger?: Logger;
}

/** A Talos-style node: one state, one runtime, its controllers and its platform. */
export interface Node {
  /** The node's own state: every resource of the node lives here. */
  readonly state: State;
  /** Its controller runtime. */
  readonly runtime: Runtime;
  /** The platform it acts on. */
  readonly platform: Platform;
  /** The node's events (sequences, phases, tasks, services), with a tail for late readers. */
  readonly events: EventBus;
  /** Runs the node's services on the platform's processes. */
  readonly supervisor: Supervisor;
  /** The node's system disk: partitions as folders of the state directory, every write atomic. */
  readonly disk: FileDisk;
  /** Writes the initial config, then starts the controllers. */
  start(): Promise<void>;
  /**
   * Validates a new machine config and makes it active and persistent; a bad config throws a
   * `ConfigError` naming the line and changes nothing.
   */
  applyConfig(config: string | V1Alpha1ConfigInput): Promise<void>;
  /** Stops the services, then the controllers, and closes the platform. */
  stop(): Promise<void>;
}

function parseConfig(config: string | V1Alpha1ConfigInput): V1Alpha1Config {
  return typeof config === 'string' ? parseMachineConfig(config) : v1alpha1ConfigSchema.parse(config);
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
  const initial = options.config === undefined ? undefined : parseConfig(options.config);
  await mkdir(options.stateDir, { recursive: true });
  const state = createState({ clock, logger });
  const runtime = createRuntime({ state, clock, logger });
  const platform =
    options.platform ?? createSimulatedPlatform({ clock, seed: 1, links: [{ name: 'eth0', dhcp: true }] });
  const cmdline = parseCmdlineNetwork(await platform.cmdline());
  const metadata = await platform.metadata();
  const platformConfig = metadata === undefined ? undefined : parsePlatformMetadata(JSON.stringify(metadata));
  const disk = createFileDisk({ stateDir: options.stateDir });
  const events = createEventBus({ clock });
  const supervisor = createSupervisor({ clock, bus: events, processes: platform.processes });
  const stage = trackStage(events);
  const lifecycleControllers = [
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
  ];
  for (const controller of [
    ...configControllers({ cmdline }),
    ...nodeControllers(platform, { stateDir: options.stateDir }),
    ...lifecycleControllers,
  ]) {
    runtime.register(controller);
  }

  const writeConfig = async (config: V1Alpha1Config): Promise<void> => {
    for (const id of [activeMachineConfigId, persistentMachineConfigId]) {
      await state.modify(MachineConfigs.make(id, config), (d) => {
        d.spec = MachineConfigs.make(id, config).spec;
      });
    }
  };
  let started = false;
  return {
    state,
    runtime,
    platform,
    events,
    supervisor,
    disk,
    async start() {
      if (started) throw new Error('node already started');
      started = true;
      if (platformConfig !== undefined) {
        await state.create(PlatformConfigs.make(activePlatformConfigId, platformConfig));
      }
      if (initial !== undefined) await writeConfig(initial);
      await runtime.start();
      const context = { state, platform, disk, stateDir: options.stateDir, clock, logger };
      for (const service of nodeServices(context)) supervisor.loadAndStart(service);
    },
    async applyConfig(config) {
      await writeConfig(parseConfig(config));
    },
    async stop() {
      supervisor.denyNewServices();
      await supervisor.stopAll();
      await runtime.stop();
      stage.close();
      await platform.close();
    },
  };
}
