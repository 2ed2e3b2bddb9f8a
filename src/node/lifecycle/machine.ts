/**
 * The machine: runs the node's sequences (research §5.1) and owns what survives a reboot (disk,
 * META, boot slots, the event bus). Initialize loads the config from STATE; boot waits for
 * readiness within the boot timeout, then commits a pending upgrade; a fatal error reverts a
 * pending upgrade and reboots. A reboot stops the boot's services and controllers and boots again
 * from the disk, in place or (with process-exit power) as a new process.
 */
import type { Logger } from 'pino';
import { createDiskBoot } from '../../platform/boot/disk-boot.js';
import { type BootPlatform, type BootSlot, otherSlot } from '../../platform/boot.js';
import { type MetaStore, metaKeys } from '../../platform/disk/meta-store.js';
import { createInProcessPower, type PowerPlatform } from '../../platform/power.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { type ConfigHistory, openConfigHistory } from '../config-history/config-history.js';
import type { LifecycleOperation } from '../events/machine-event.js';
import { isSequenceError, type Sequence } from '../sequencer/sequence.js';
import { createSequencer, type Sequencer } from '../sequencer/sequencer.js';
import {
  bootSequence,
  initializeSequence,
  installSequence,
  rebootSequence,
  resetSequence,
  type StopTasks,
  shutdownSequence,
  stageUpgradeSequence,
  upgradeSequence,
} from '../sequences/sequences.js';
import { ConfigApplier } from './config-applier.js';
import { createIncarnation, type Incarnation } from './incarnation.js';
import type { MachineOptions } from './machine-options.js';
import { bootTasks, initializeTasks, type MachineParts } from './machine-tasks.js';
import {
  type Deferred,
  deferred,
  type RunningImage,
  type UpgradeRequest,
  type UpgradeResult,
} from './machine-types.js';
import type { LifecycleContext } from './node-hooks.js';
import { type NodeImage, parseNodeImage } from './node-image.js';
import { installStagedUpgrade, stageUpgrade, upgradeStaged } from './staged-upgrade.js';
import { resetSystemDisk, wipeSystemDisk } from './system-disk-reset.js';
import { installUpgrade, revertIfUpgradePending, rollback, UpgradeRefusedError } from './upgrade.js';
import { commitUpgradeWithRetry } from './upgrade-commit.js';

/** Runs one node's lifecycle: its sequences, and what survives a reboot. */
export class Machine {
  readonly history: ConfigHistory;
  readonly applier: ConfigApplier;
  readonly #o: MachineOptions;
  readonly #loader: BootPlatform;
  readonly #sequencer: Sequencer;
  readonly #power: PowerPlatform;
  readonly #log: Logger;
  #inc: Incarnation;
  #fresh = true;
  #meta: MetaStore | undefined;
  #running: RunningImage | undefined;
  #maintenance: Deferred | undefined;
  #booted = deferred();
  #bootedDone = false;
  #rebootTimer: TimerHandle | undefined;
  /** Retries of the running boot's upgrade commit; whatever takes the machine over aborts them. */
  #committing: AbortController | undefined;
  #stopped = false;

  constructor(options: MachineOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#loader = createDiskBoot(options.disk);
    this.#power = options.platform.power ?? createInProcessPower();
    this.#sequencer = createSequencer({ bus: options.events, clock: options.clock, logger: options.logger });
    this.#inc = createIncarnation(options);
    this.history = openConfigHistory(options.disk);
    this.applier = new ConfigApplier({
      disk: options.disk,
      history: this.history,
      clock: options.clock,
      events: options.events,
      logger: options.logger,
      state: () => this.#inc.state,
      step: (operation, step, message) => this.step(operation, step, message),
      leaveMaintenance: () => this.#maintenance?.resolve(),
      reboot: () => this.reboot(),
    });
  }

  /** The current boot's state, runtime and supervisor. */
  get incarnation(): Incarnation {
    return this.#inc;
  }

  /** The slot the node booted and its image (known once initialize has run). */
  running(): RunningImage {
    if (this.#running === undefined) throw new Error('the node has not booted yet');
    return this.#running;
  }

  /** Resolves when the current boot (or the one a revert leads to) reaches running and ready. */
  booted(): Promise<void> {
    return this.#booted.promise;
  }

  /** Publishes a step of an operation and lets the hook see it. */
  async step(operation: LifecycleOperation, step: string, message: string): Promise<void> {
    this.#o.events.publish({ type: 'lifecycle', operation, step, message });
    await this.#o.hook?.(operation, step);
  }

  /** Initialize (from the disk), then boot in the background. */
  async start(): Promise<void> {
    if (this.#stopped) throw new Error('the node is stopped');
    if (!this.#fresh) this.#inc = createIncarnation(this.#o);
    this.#fresh = false;
    if (this.#bootedDone) {
      this.#booted = deferred();
      this.#bootedDone = false;
    }
    await this.#run(initializeSequence(initializeTasks(this.#parts())));
    if (this.#meta !== undefined && upgradeStaged(this.#meta)) {
      await this.#run(installSequence({ installStaged: () => this.#installStaged() }));
      await this.reboot('upgrade');
      return;
    }
    if (this.#stopped) return;
    void this.#boot();
  }

  /** Stops everything for good (the shutdown sequence); idempotent. */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#rebootTimer !== undefined) this.#o.clock.clearTimeout(this.#rebootTimer);
    this.#committing?.abort();
    this.applier.cancelTry();
    this.#maintenance?.reject(new Error('the node stopped'));
    this.#booted.reject(new Error('the node stopped before it booted'));
    while (this.#sequencer.current() !== undefined) await this.#sequencer.cancel();
    await this.#sequencer.run(shutdownSequence(this.#stopTasks('shutdown'))).catch((error: unknown) => {
      this.#log.error({ err: error }, 'shutdown sequence failed');
    });
  }

  /** Powers off once everything is closed (a process-owning node exits here). */
  powerOff(): Promise<void> {
    return this.#power.shutdown();
  }

  /** The reboot sequence (stop services and controllers), then power, then initialize and boot again. */
  async reboot(operation: LifecycleOperation = 'reboot', rollbackTask?: () => Promise<void>): Promise<void> {
    this.#assertUp();
    await this.#run(
      rebootSequence({ ...this.#stopTasks(operation), ...(rollbackTask ? { rollback: rollbackTask } : {}) }),
    );
    await this.#afterStop();
  }

  /** Installs a new image (or stages it), guarded, then reboots into it unless told not to. */
  async upgrade(request: UpgradeRequest): Promise<UpgradeResult> {
    this.#assertUp();
    const image = this.#parseImage(request.image);
    const meta = this.#requireMeta();
    const pending = meta.get(metaKeys.upgrade);
    if (pending !== undefined) {
      throw new UpgradeRefusedError(
        `upgrade refused: an upgrade from slot ${pending} is not committed yet (wait until the node is running and ready, or roll back)`,
      );
    }
    if (!request.force && this.#o.upgradeGuard !== undefined) {
      const reason = await this.#o.upgradeGuard({ ...this.#context(), image });
      if (reason !== undefined) throw new UpgradeRefusedError(`upgrade refused: ${reason}`);
    }
    const previous = this.running().slot;
    if (request.stage) {
      const stage = async () => {
        await stageUpgrade(meta, image, previous);
        await this.step('upgrade', 'upgrade-staged', `${image.version} staged for the next boot`);
      };
      await this.#run(stageUpgradeSequence({ ...this.#stopTasks('upgrade'), stage }));
      await this.#afterStop();
      return { version: image.version, slot: undefined, previous };
    }
    const hook = (step: string) => this.step('upgrade', step, `upgrade to ${image.version}: ${step}`);
    if (request.noReboot) {
      // Talos' LifecycleService.Upgrade: the installer runs beside everything, no sequence.
      if (this.#sequencer.current() !== undefined) {
        throw new UpgradeRefusedError(`upgrade refused: sequence ${this.#sequencer.current()} is running`);
      }
      const { slot } = await installUpgrade(this.#loader, meta, previous, image, hook);
      return { version: image.version, slot, previous };
    }
    let slot: BootSlot | undefined;
    const install = async () => {
      slot = (await installUpgrade(this.#loader, meta, previous, image, hook)).slot;
    };
    await this.#run(upgradeSequence({ ...this.#stopTasks('upgrade'), install }));
    await this.#afterStop();
    return { version: image.version, slot, previous };
  }

  /** Boots the other slot on purpose (reverting a pending upgrade if there is one). */
  async rollback(): Promise<BootSlot> {
    this.#assertUp();
    const meta = this.#requireMeta();
    const booted = this.running().slot;
    const other = otherSlot(booted);
    if (
      meta.get(metaKeys.upgrade) === undefined &&
      (await this.#loader.state()).versions[other] === undefined
    ) {
      throw new UpgradeRefusedError(`nothing to roll back to: slot ${other} holds no image`);
    }
    let target: BootSlot = other;
    await this.reboot('rollback', async () => {
      target = await rollback(this.#loader, meta, booted, (step) =>
        this.step('rollback', step, `rollback from slot ${booted}: ${step}`),
      );
    });
    return target;
  }

  /** Wipes STATE and EPHEMERAL and reboots into maintenance; graceful first cordons and leaves etcd. */
  async reset(options: { readonly graceful?: boolean } = {}): Promise<void> {
    this.#assertUp();
    const graceful = options.graceful ?? true;
    await this.#run(
      resetSequence({
        ...this.#stopTasks('reset'),
        graceful,
        cordon: () => this.step('reset', 'cordoned', 'the node is cordoned (no workloads run here yet)'),
        leaveEtcd: async (ctx) => {
          await this.#o.leaveEtcd?.({ ...this.#context(), signal: ctx.signal });
          await this.step('reset', 'etcd-left', 'the node left etcd');
        },
        resetSystemDisk: () =>
          resetSystemDisk(this.#o.disk, this.#requireMeta(), graceful, (step, message) =>
            this.step('reset', step, message),
          ),
      }),
    );
    await this.#afterStop();
  }

  #assertUp(): void {
    if (this.#stopped) throw new Error('the node is stopped');
  }

  #requireMeta(): MetaStore {
    if (this.#meta === undefined) throw new Error('the node has not booted yet');
    return this.#meta;
  }

  #parseImage(value: unknown): NodeImage {
    try {
      return parseNodeImage(value);
    } catch (error) {
      throw new UpgradeRefusedError(`upgrade refused: invalid image: ${(error as Error).message}`);
    }
  }

  #context(): LifecycleContext {
    const { state, supervisor } = this.#inc;
    return { state, supervisor, disk: this.#o.disk, clock: this.#o.clock, logger: this.#log };
  }

  /** Runs a sequence; a fatal failure reverts a pending upgrade and reboots, as machined's exit handler. */
  async #run(sequence: Sequence): Promise<void> {
    try {
      await this.#sequencer.run(sequence);
    } catch (error) {
      if (isSequenceError(error, 'fatal')) this.#onFatal(error);
      throw error;
    }
  }

  #onFatal(error: Error): void {
    if (this.#stopped) return;
    this.#committing?.abort();
    void (async () => {
      const reverted = await revertIfUpgradePending(this.#loader, this.#requireMeta(), (step) =>
        this.step('boot', step, `reverting the upgrade: ${step}`),
      ).catch((e: unknown) => {
        // The reboot still comes: the marker stays, so the next boot's failure (or commit) finishes it.
        this.#log.error({ err: e }, 'reverting the upgrade failed');
        return undefined;
      });
      this.#log.error(
        { err: error, reverted },
        `fatal: ${error.message}; ${reverted ? `reverted to slot ${reverted}, ` : ''}rebooting in ${this.#o.rebootDelayMs} ms`,
      );
      if (this.#stopped) return;
      this.#rebootTimer = this.#o.clock.setTimeout(() => {
        this.#rebootTimer = undefined;
        this.reboot().catch((e: unknown) => this.#log.error({ err: e }, 'reboot after a fatal error failed'));
      }, this.#o.rebootDelayMs);
    })().catch((e: unknown) => this.#log.error({ err: e }, 'handling a fatal error failed'));
  }

  /** After a sequence stopped everything: power, then boot again (in place). */
  async #afterStop(): Promise<void> {
    await this.#power.reboot();
    if (this.#stopped) return;
    await this.start();
  }

  async #boot(): Promise<void> {
    const inc = this.#inc;
    try {
      await this.#run(bootSequence(bootTasks(this.#parts(), inc)));
    } catch (error) {
      // A fatal failure is logged and handled by #onFatal; a takeover owns the machine now.
      if (!isSequenceError(error, 'canceled', 'fatal')) this.#log.error({ err: error }, 'boot failed');
      return;
    }
    const { version } = this.running().image;
    const committing = new AbortController();
    this.#committing = committing;
    const committed = await commitUpgradeWithRetry({
      meta: this.#requireMeta(),
      clock: this.#o.clock,
      logger: this.#log,
      version,
      signal: committing.signal,
      onCommitted: () => this.step('boot', 'upgrade-committed', `${version} committed`),
    });
    if (!committed) return;
    this.#bootedDone = true;
    this.#booted.resolve();
  }

  /** What the initialize and boot tasks use of the machine. */
  #parts(): MachineParts {
    return {
      options: this.#o,
      loader: this.#loader,
      history: this.history,
      applier: this.applier,
      incarnation: () => this.#inc,
      meta: () => this.#requireMeta(),
      setMeta: (meta) => {
        this.#meta = meta;
      },
      running: () => this.running(),
      setRunning: (running) => {
        this.#running = running;
      },
      setMaintenance: (waiting) => {
        this.#maintenance = waiting;
      },
      finishReset: () => this.#wipe(),
    };
  }

  #stopTasks(operation: LifecycleOperation): StopTasks {
    const inc = this.#inc;
    return {
      stopServices: async () => {
        this.#committing?.abort();
        inc.supervisor.denyNewServices();
        await inc.supervisor.stopAll();
        await this.step(operation, 'services-stopped', 'services stopped');
      },
      stopRuntime: async () => {
        this.applier.cancelTry();
        this.#maintenance?.reject(new Error('the node is going down'));
        await inc.runtime.stop();
      },
    };
  }

  /** The install sequence: a staged upgrade from META, written before anything runs. */
  #installStaged(): Promise<void> {
    return installStagedUpgrade(
      this.#loader,
      this.#requireMeta(),
      this.running().slot,
      (image) => (step) => this.step('upgrade', step, `staged upgrade to ${image.version}: ${step}`),
    );
  }

  /** Wipes EPHEMERAL then STATE, then clears the reset marker. */
  #wipe(): Promise<void> {
    return wipeSystemDisk(this.#o.disk, this.#requireMeta(), (step, message) =>
      this.step('reset', step, message),
    );
  }
}
