import type { Scheduler as FastCheckScheduler } from 'fast-check';
import type { Logger } from 'pino';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import type { CoreState } from '../../runtime/state/state.js';
import type { VirtualClock } from '../virtual-clock.js';
import type { FaultRates } from './faults.js';
import type { SimulationRuntimeOptions } from './incarnation.js';
import type { Choices } from './seeded-random.js';
import type { Simulation } from './simulation.js';

/** Options of {@link createSimulation}. */
export interface SimulationOptions {
  /**
   * A factory of the controllers the runtime runs, called for every new runtime (the first, and
   * after each crash or restart) as a new process would load them, so a restarted controller starts
   * cold. A factory and not a list, because a list's instances share their closures across runs and
   * runtimes, so a failure's printed replay would not reproduce it.
   */
  controllers: ControllerSet;
  /** Seed of every decision (default 0); ignored when `choices` is given. */
  seed?: number;
  /** The source of decisions, e.g. `scriptedChoices(script)` from a fast-check arbitrary. */
  choices?: Choices;
  /** Let fast-check's `fc.scheduler()` pick the order of tasks (faults still come from the choices). */
  scheduler?: FastCheckScheduler;
  /** Fault rates of the safety phase (none by default); `heal()` turns them off. */
  faults?: FaultRates;
  /** The store underneath (default: `createState({ clock })`). */
  state?: CoreState;
  /** The virtual clock (default: a new one). */
  clock?: VirtualClock;
  /** Extra runtime options (backoff, write rate limit, onReconcile). */
  runtime?: SimulationRuntimeOptions;
  /** A logger for the runtime (default: silent). */
  logger?: Logger;
  /** Reconciles of one key since the last input change that count as a storm (default 100). */
  stormThreshold?: number;
  /** Finalizers besides controller names that may remain after settling. */
  allowedFinalizers?: Iterable<string>;
  /** At most this many steps run between two user operations (default 20; the schedule picks). */
  maxInterleave?: number;
  /** After a task, with work still pending: time jumps to the next timer first, as if work were slow (default 0.05). */
  timeRace?: number;
  /** The longest the seeded scheduler holds a task back, in steps (default 48). */
  maxDelay?: number;
  /** Trace entries kept for the report (default 400). */
  traceCapacity?: number;
}

/**
 * Makes the controllers afresh for one runtime; it gets the simulation, e.g. to wrap a fake
 * platform's calls with `sim.scheduleFunction`.
 */
export type ControllerSet = (sim: Simulation) => readonly AnyControllerDefinition[];

/** Calls the factory and checks what it made. */
export function loadControllers(
  set: ControllerSet,
  what: string,
  sim: Simulation,
): readonly AnyControllerDefinition[] {
  if (typeof set !== 'function') {
    throw new TypeError(
      `${what}: controllers must be a factory, e.g. \`controllers: () => [MyController]\`: a list's instances would be shared by every run, so a failure's replay would not reproduce it`,
    );
  }
  const list = set(sim);
  if (!Array.isArray(list)) throw new TypeError(`${what}: the controllers factory must return an array`);
  return [...list];
}

/** Options of {@link Simulation.runUntilSettled}. */
export interface SettleOptions {
  /** Virtual milliseconds allowed to settle (default 600,000). */
  within?: number;
  /** Virtual milliseconds without a write that count as settled while only timers remain (default 120,000). */
  quietMs?: number;
  /** Steps allowed (default 200,000). */
  maxSteps?: number;
}

/** The outcome of {@link Simulation.runUntilSettled}. */
export interface SettleResult {
  /** True when nothing was runnable and nothing changed for the quiet period, within the limits. */
  readonly settled: boolean;
  /** Why it did not settle. */
  readonly reason?: string;
  /** Steps taken while settling. */
  readonly steps: number;
  /** Virtual milliseconds it took. */
  readonly elapsedMs: number;
}
