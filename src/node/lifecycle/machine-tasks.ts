/**
 * What the machine's initialize and boot sequences do, task by task (the sequences list the
 * phases; these are their bodies). They read and set the machine through {@link MachineParts}.
 */
import type { BootPlatform } from '../../platform/boot.js';
import { type MetaStore, openMetaStore } from '../../platform/disk/meta-store.js';
import type { ConfigHistory } from '../config-history/config-history.js';
import type { bootSequence, initializeSequence } from '../sequences/sequences.js';
import { servicesAtImage, waitReady } from './boot-services.js';
import type { ConfigApplier } from './config-applier.js';
import type { Incarnation } from './incarnation.js';
import { installDisk } from './install-disk.js';
import type { MachineOptions } from './machine-options.js';
import { type Deferred, deferred, type RunningImage } from './machine-types.js';
import { parseNodeImage } from './node-image.js';
import { resetPending } from './system-disk-reset.js';

/** The parts of the machine its tasks use, and the fields they set. */
export interface MachineParts {
  readonly options: MachineOptions;
  readonly loader: BootPlatform;
  readonly history: ConfigHistory;
  readonly applier: ConfigApplier;
  /** The current boot's state, runtime and supervisor. */
  incarnation(): Incarnation;
  /** META as loaded by initialize; throws before. */
  meta(): MetaStore;
  setMeta(meta: MetaStore): void;
  /** The slot booted and its image; throws before initialize probed the bootloader. */
  running(): RunningImage;
  setRunning(running: RunningImage): void;
  /** Parks a configless boot in maintenance until a config arrives (`waiting` resolves). */
  setMaintenance(waiting: Deferred): void;
  /** Finishes an interrupted reset. */
  finishReset(): Promise<void>;
}

/** The initialize sequence's tasks: META, an interrupted reset, a fresh install, the bootloader, the config. */
export function initializeTasks(m: MachineParts): Parameters<typeof initializeSequence>[0] {
  const { options, loader } = m;
  return {
    reloadMeta: async () => {
      m.setMeta(await openMetaStore(options.disk));
    },
    resetPending: async () => resetPending(m.meta()),
    finishReset: () => m.finishReset(),
    installed: async () => (await loader.readSlot('A')) !== undefined,
    install: () =>
      installDisk({
        ...options.install,
        disk: options.disk,
        loader,
        history: m.history,
        clock: options.clock,
      }),
    probeBootloader: async () => {
      const slot = (await loader.state()).defaultSlot;
      const stored = await loader.readSlot(slot);
      if (stored === undefined) throw new Error(`boot: slot ${slot} holds no image`);
      m.setRunning({ slot, image: parseNodeImage(stored.image) });
    },
    loadConfig: async () => {
      await options.seed(m.incarnation().state);
      await m.applier.load(m.incarnation().state);
    },
    startRuntime: () => m.incarnation().runtime.start(),
  };
}

/** The boot sequence's tasks for the boot `inc`: maintenance, the image check, the services until ready. */
export function bootTasks(m: MachineParts, inc: Incarnation): Parameters<typeof bootSequence>[0] {
  const { options } = m;
  return {
    configured: () => m.applier.active() !== undefined,
    runningMaintenance: async (ctx: { signal: AbortSignal }) => {
      const waiting = deferred();
      m.setMaintenance(waiting);
      // A reboot, reset or upgrade takes over the waiting boot.
      const onAbort = () => waiting.reject(ctx.signal.reason as Error);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        await waiting.promise;
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
    checkImage: () => {
      const { image } = m.running();
      if (image.failsToBoot) throw new Error(`image ${image.version} fails to boot`);
    },
    mountEphemeral: async () => {
      await options.disk.list('EPHEMERAL');
    },
    startAllServices: async (ctx: { signal: AbortSignal }) => {
      const { platform, disk, stateDir, clock, logger } = options;
      const config = m.applier.active();
      const services = options.services({
        config,
        state: inc.state,
        platform,
        disk,
        stateDir,
        clock,
        logger,
      });
      for (const s of servicesAtImage(services, m.running().image)) inc.supervisor.loadAndStart(s);
      await waitReady(inc.state, inc.supervisor, clock, options.bootTimeoutMs, ctx.signal);
    },
  };
}
