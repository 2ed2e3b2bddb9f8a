/**
 * One boot of a node: a fresh state, controller runtime and service supervisor. A reboot stops
 * them and makes new ones, as a real reboot loses everything but the disk; the node object, its
 * event bus, disk and platform stay.
 */
import type { Logger } from 'pino';
import type { ProcessPlatform } from '../../platform/processes.js';
import type { Clock } from '../../runtime/clock.js';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import { createRuntime, type Runtime } from '../../runtime/controller/runtime.js';
import { createState } from '../../runtime/state/create-state.js';
import type { State } from '../../runtime/state/state.js';
import type { EventBus } from '../events/event-bus.js';
import { createSupervisor, type Supervisor } from '../supervisor/supervisor.js';

/** A boot's state, runtime and supervisor. */
export interface Incarnation {
  readonly state: State;
  readonly runtime: Runtime;
  readonly supervisor: Supervisor;
}

/** What every boot is made of. */
export interface IncarnationOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly processes: ProcessPlatform;
  /** The controllers of a boot (fresh definitions: some keep per-boot memory), given its state and supervisor. */
  readonly controllers: (boot: {
    readonly state: State;
    readonly supervisor: Supervisor;
  }) => readonly AnyControllerDefinition[];
}

/** Makes a boot's parts; nothing runs until its runtime starts. */
export function createIncarnation(options: IncarnationOptions): Incarnation {
  const { clock, logger } = options;
  const state = createState({ clock, logger });
  const runtime = createRuntime({ state, clock, logger });
  const supervisor = createSupervisor({ clock, bus: options.events, processes: options.processes });
  for (const controller of options.controllers({ state, supervisor })) runtime.register(controller);
  return { state, runtime, supervisor };
}
