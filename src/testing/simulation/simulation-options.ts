import type { Scheduler as FastCheckScheduler } from 'fast-check';
import type { Logger } from 'pino';
import type { CoreState } from '../../runtime/state/state.js';
import type { VirtualClock } from '../virtual-clock.js';
import type { FaultRates } from './faults.js';
import type { SimulationRuntimeOptions } from './incarnation.js';
import type { Choices } from './seeded-random.js';

/** Options of {@link createSimulation} besides the controllers. */
export interface SimulationSettings {
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
