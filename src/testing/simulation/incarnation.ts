import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../runtime/controller/runtime.js';
import type { CoreState } from '../../runtime/state/state.js';
import { withStateHelpers } from '../../runtime/state/state-helpers.js';
import type { VirtualClock } from '../virtual-clock.js';
import { type InstrumentHooks, instrumentController } from './instrument.js';
import type { Choices } from './seeded-random.js';
import { type SimScheduler, scopedScheduler, type TaskScope } from './sim-scheduler.js';
import { scheduledSources } from './simulated-sources.js';
import { createSimulatedState, type SimulatedState, type StateFaultRates } from './simulated-state.js';
import type { TraceKind } from './trace.js';

/** Runtime options a simulation lets users set; state, clock, scheduler and randomness are its own. */
export type SimulationRuntimeOptions = Omit<
  RuntimeOptions,
  'state' | 'clock' | 'logger' | 'random' | 'experimental_scheduler'
>;

/** One life of the runtime: it ends with a graceful restart or a crash, and a new one starts on the same store. */
export interface Incarnation {
  readonly number: number;
  readonly scope: TaskScope;
  readonly state: SimulatedState;
  readonly runtime: Runtime;
  readonly controllers: readonly AnyControllerDefinition[];
  /** Ends this life at once: scheduled work, timers, watches and calls in flight all vanish. */
  kill(): void;
}

/** What an incarnation is made from. */
export interface IncarnationOptions {
  readonly number: number;
  readonly store: CoreState;
  readonly scheduler: SimScheduler;
  readonly clock: VirtualClock;
  readonly choices: Choices;
  readonly logger: Logger;
  readonly controllers: readonly AnyControllerDefinition[];
  readonly runtimeOptions: SimulationRuntimeOptions;
  readonly stateFaults: () => StateFaultRates;
  readonly hooks: InstrumentHooks;
  trace(kind: TraceKind, text: string): void;
}

/** A view of the clock whose timers die with the scope. */
function scopedClock(clock: VirtualClock, scope: TaskScope): Clock & { clearAll(): void } {
  const handles = new Set<TimerHandle>();
  return {
    now: () => clock.now(),
    setTimeout(callback, ms) {
      if (!scope.alive) return undefined;
      const handle = clock.setTimeout(() => {
        handles.delete(handle);
        if (scope.alive) callback();
      }, ms);
      handles.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      if (handles.delete(handle)) clock.clearTimeout(handle);
    },
    clearAll() {
      for (const h of handles) clock.clearTimeout(h);
      handles.clear();
    },
  };
}

/**
 * Creates a runtime over a fresh simulated view of the store, with the controllers instrumented
 * for this life. It is not started.
 */
export function createIncarnation(options: IncarnationOptions): Incarnation {
  const scope: TaskScope = { name: `runtime#${options.number}`, alive: true };
  const scheduler = scopedScheduler(options.scheduler, scope);
  const state = createSimulatedState(options.store, {
    scheduler,
    choices: options.choices,
    faults: options.stateFaults,
    trace: (e) => options.trace(e.kind, e.label),
  });
  const clock = scopedClock(options.clock, scope);
  const runtime = createRuntime({
    ...options.runtimeOptions,
    state: withStateHelpers(state),
    clock,
    logger: options.logger,
    random: () => options.choices.float('jitter'),
    experimental_scheduler: scheduler,
  });
  const sources = scheduledSources(scheduler);
  for (const c of options.controllers)
    runtime.register(instrumentController(sources.wrap(c), options.number, options.hooks));
  return {
    number: options.number,
    scope,
    state,
    runtime,
    controllers: options.controllers,
    kill() {
      if (!scope.alive) return;
      scope.alive = false;
      state.kill();
      sources.closeAll();
      clock.clearAll();
      options.scheduler.dropScope(scope);
    },
  };
}
