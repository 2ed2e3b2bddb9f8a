/**
 * apply-config (research §5.8): validate, then by mode make the config persistent (STATE, atomic),
 * active (the `v1alpha1` MachineConfig controllers run on), or both; `try` arms a timer that
 * restores the previous active config unless a later apply confirms; `dryRun` only answers the
 * diff. Every apply lands in the config history first, so a crash between the history and STATE
 * writes is undone on the next boot (`recoverConfigHistory`).
 */
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import type { DiskPlatform } from '../../platform/disk.js';
import { parseMachineConfig } from '../../resources/config/load-config.js';
import {
  activeMachineConfigId,
  MachineConfigs,
  persistentMachineConfigId,
} from '../../resources/config/machine-config.js';
import {
  type V1Alpha1Config,
  type V1Alpha1ConfigInput,
  v1alpha1ConfigSchema,
} from '../../resources/config/v1alpha1.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { State } from '../../runtime/state/state.js';
import { configDiff } from '../config-history/config-diff.js';
import {
  type ConfigHistory,
  type ConfigHistoryMode,
  recoverConfigHistory,
} from '../config-history/config-history.js';
import type { EventBus } from '../events/event-bus.js';
import type { LifecycleOperation } from '../events/machine-event.js';
import { readPersistedConfig, writePersistedConfig } from './persisted-config.js';

/** How an apply takes effect. */
export type ApplyConfigMode = 'auto' | 'no-reboot' | 'reboot' | 'staged' | 'try';

/** Options of `node.applyConfig`. */
export interface ApplyConfigOptions {
  /** Default `auto` (= `no-reboot`, as Talos today). */
  readonly mode?: ApplyConfigMode;
  /** `try` only: when the previous config comes back (default 60 s). */
  readonly tryTimeoutMs?: number;
  /** Answer the diff and change nothing. */
  readonly dryRun?: boolean;
  /** Who applies it (the API client's name), for the history; default `local`. */
  readonly by?: string;
}

/** What an apply did. */
export interface ApplyConfigResult {
  readonly mode: ApplyConfigMode;
  readonly dryRun: boolean;
  /** A unified diff of the canonical documents: the current config (persistent for `staged`) to the new one. */
  readonly diff: string;
  /** The history version it was recorded as (none for a dry run). */
  readonly version?: number;
}

/** What the applier needs of the node. */
export interface ApplyHost {
  readonly disk: DiskPlatform;
  readonly history: ConfigHistory;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly logger: Logger;
  /** The current boot's state. */
  state(): State;
  /** Publishes a step and lets the lifecycle hook see it. */
  step(operation: LifecycleOperation, step: string, message: string): Promise<void>;
  /** A config became active while the node waited in maintenance. */
  leaveMaintenance(): void;
  /** Reboots the node (mode `reboot`). */
  reboot(): Promise<void>;
}

/** Parses a config given as text or an object; refusals throw and change nothing. */
function parseInput(config: string | V1Alpha1ConfigInput): { text: string; spec: V1Alpha1Config } {
  if (typeof config === 'string') return { text: config, spec: parseMachineConfig(config) };
  const spec = v1alpha1ConfigSchema.parse(config);
  return { text: stringify(config), spec };
}

async function putConfig(state: State, id: string, spec: V1Alpha1Config): Promise<void> {
  const desired = MachineConfigs.make(id, spec);
  await state.modify(desired, (d) => {
    d.spec = desired.spec;
  });
}

/** Applies configs to one node. */
export class ConfigApplier {
  #active: V1Alpha1Config | undefined;
  #persistent: V1Alpha1Config | undefined;
  #try: { timer: TimerHandle; previous: V1Alpha1Config } | undefined;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: ApplyHost) {}

  /** The active config, `undefined` in maintenance. */
  active(): V1Alpha1Config | undefined {
    return this.#active;
  }

  /** Boot: loads STATE's config into a fresh state (both ids), after undoing an interrupted apply. */
  async load(state: State): Promise<void> {
    this.cancelTry();
    const text = await readPersistedConfig(this.host.disk);
    await recoverConfigHistory(this.host.history, text);
    const spec = text === undefined ? undefined : parseMachineConfig(text, 'STATE config.yaml');
    this.#active = spec;
    this.#persistent = spec;
    if (spec === undefined) return;
    await putConfig(state, activeMachineConfigId, spec);
    await putConfig(state, persistentMachineConfigId, spec);
  }

  /** Applies a config; one apply at a time. */
  apply(config: string | V1Alpha1ConfigInput, options: ApplyConfigOptions = {}): Promise<ApplyConfigResult> {
    const run = this.#lock.then(() => this.#apply(config, options));
    this.#lock = run.catch(() => {});
    return run;
  }

  /** Stops a pending `try` timer (a reboot makes STATE's config active anyway). */
  cancelTry(): void {
    if (this.#try === undefined) return;
    this.host.clock.clearTimeout(this.#try.timer);
    this.#try = undefined;
  }

  async #apply(
    config: string | V1Alpha1ConfigInput,
    options: ApplyConfigOptions,
  ): Promise<ApplyConfigResult> {
    const { text, spec } = parseInput(config);
    const maintenance = this.#active === undefined;
    const asked = options.mode ?? 'auto';
    // In maintenance every mode makes the config active and persistent, as Talos does.
    const mode: ApplyConfigMode = maintenance ? 'no-reboot' : asked;
    const diff = configDiff(mode === 'staged' ? this.#persistent : this.#active, spec);
    if (options.dryRun) return { mode: asked, dryRun: true, diff };
    const { host } = this;
    const persist = mode !== 'try';
    const activate = mode === 'auto' || mode === 'no-reboot' || mode === 'try';
    const entry = await host.history.append({
      time: new Date(host.clock.now()).toISOString(),
      by: options.by ?? 'local',
      mode: asked as ConfigHistoryMode,
      config: text,
    });
    await host.step('applyConfig', 'history-written', `config version ${entry.version} recorded`);
    if (persist) {
      try {
        await writePersistedConfig(host.disk, text);
      } catch (error) {
        await host.history.remove(entry.version);
        throw error;
      }
      this.#persistent = spec;
      await putConfig(host.state(), persistentMachineConfigId, spec);
      await host.step('applyConfig', 'state-written', `config version ${entry.version} persisted`);
    }
    // Any apply but a try confirms a pending try.
    if (mode !== 'try') this.cancelTry();
    if (activate) await this.#activate(spec, mode, options.tryTimeoutMs ?? 60_000);
    await host.step('applyConfig', 'active-set', `config version ${entry.version} applied (${mode})`);
    host.events.publish({
      type: 'config',
      action: mode,
      message: `config version ${entry.version} applied by ${entry.by} (${mode})`,
    });
    if (maintenance) host.leaveMaintenance();
    if (mode === 'reboot') await host.reboot();
    return { mode: asked, dryRun: false, diff, version: entry.version };
  }

  async #activate(spec: V1Alpha1Config, mode: ApplyConfigMode, tryTimeoutMs: number): Promise<void> {
    const previous = this.#active;
    this.#active = spec;
    await putConfig(this.host.state(), activeMachineConfigId, spec);
    if (mode !== 'try' || previous === undefined) return;
    this.cancelTry();
    const timer = this.host.clock.setTimeout(() => {
      if (this.#try?.timer !== timer) return;
      this.#try = undefined;
      this.#lock = this.#lock
        .then(() => this.#restore(previous))
        .catch((error: unknown) => {
          this.host.logger.error({ err: error }, 'restoring the config after a try failed');
        });
    }, tryTimeoutMs);
    this.#try = { timer, previous };
  }

  async #restore(previous: V1Alpha1Config): Promise<void> {
    this.#active = previous;
    await putConfig(this.host.state(), activeMachineConfigId, previous);
    this.host.events.publish({
      type: 'config',
      action: 'try-expired',
      message: 'the tried config was not confirmed: the previous config is active again',
    });
  }
}
