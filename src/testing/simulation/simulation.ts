import { type Logger, pino } from 'pino';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import type { Runtime } from '../../runtime/controller/runtime.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource, Resource } from '../../runtime/resource/resource.js';
import { createState } from '../../runtime/state/create-state.js';
import type { State } from '../../runtime/state/state.js';
import { withStateHelpers } from '../../runtime/state/state-helpers.js';
import { createVirtualClock, flushMicrotasks, type VirtualClock } from '../virtual-clock.js';
import { BackgroundDestroys } from './background-destroys.js';
import type { CommandTarget } from './commands.js';
import type { InstrumentHooks } from './controller-calls.js';
import { type DriveEnd, type DriveHost, drive, driveUntilSettled, step } from './drive.js';
import { type FaultRates, noFaults, type ResolvedFaultRates, resolveFaultRates } from './faults.js';
import { createIncarnation, type SimulationRuntimeOptions } from './incarnation.js';
import { checkSettledResources, InvariantMonitor, type Violation } from './invariants.js';
import { Lifecycle, type LifecycleHost, loadControllers } from './lifecycle.js';
import { createObservedState, type ObservedState } from './observed-state.js';
import { type ControllerSummary, type FailureReport, summarizeControllers } from './report.js';
import { type Choices, seededChoices } from './seeded-random.js';
import { type SettleOptions, type SettleResult, settle } from './settle.js';
import {
  createSimScheduler,
  fastCheckSimScheduler,
  type SimScheduler,
  scheduledFunction,
} from './sim-scheduler.js';
import type { SimulationSettings } from './simulation-options.js';
import { Trace, type TraceKind } from './trace.js';

/**
 * Makes the controllers afresh for one runtime; it gets the simulation, e.g. to wrap a fake
 * platform's calls with `sim.scheduleFunction`.
 */
export type ControllerSet = (sim: Simulation) => readonly AnyControllerDefinition[];

/** Options of {@link createSimulation}. */
export interface SimulationOptions extends SimulationSettings {
  /**
   * A factory of the controllers the runtime runs, called for every new runtime (the first, and
   * after each crash or restart) as a new process would load them, so a restarted controller starts
   * cold. A factory and not a list, because a list's instances share their closures across runs and
   * runtimes, so a failure's printed replay would not reproduce it.
   */
  controllers: ControllerSet;
}

// One silent logger for every simulation: creating a pino instance per run costs more than the run.
const silentLogger = pino({ level: 'silent' });

/**
 * A deterministic simulation of the runtime: one source of decisions orders every task (reconcile
 * starts, queue items, store calls, watch deliveries), fires every fault and moves virtual time.
 * The same seed replays the same run step for step.
 *
 * @example
 * ```ts
 * const sim = createSimulation({ controllers: () => [IntToStr], seed: 7, faults: { crash: 0.02 } });
 * await sim.start();
 * await sim.user.create(Ints.make('a', { value: 1 }));
 * sim.heal();
 * expect((await sim.runUntilSettled()).settled).toBe(true);
 * ```
 */
export class Simulation implements CommandTarget {
  /** The only time there is: it moves when nothing is runnable, or when the schedule says so. */
  readonly clock: VirtualClock;
  /** Where every decision of the run comes from. */
  readonly choices: Choices;
  /** The event trace: operations, tasks, faults, reconciles. */
  readonly trace: Trace;
  /** The step-level invariants, and each controller's last reconcile. */
  readonly monitor: InvariantMonitor;
  /** The users' view of the store: immediate, never faulty. */
  readonly user: State;
  readonly #store: ObservedState;
  readonly #scheduler: SimScheduler;
  readonly #logger: Logger;
  readonly #runtimeOptions: SimulationRuntimeOptions;
  readonly #startedAt: number;
  readonly #maxInterleave: number;
  readonly #driveHost: DriveHost;
  readonly #allowedFinalizers: Set<string>;
  readonly #kinds = new Map<string, { namespace: string; type: string }>();
  readonly #operations: string[] = [];
  readonly #destroys: BackgroundDestroys;
  readonly #hooks: InstrumentHooks;
  readonly #life: Lifecycle;
  #rates: ResolvedFaultRates;
  #steps = 0;

  constructor(options: SimulationOptions) {
    this.clock = options.clock ?? createVirtualClock();
    this.#startedAt = this.clock.now();
    this.choices = options.choices ?? seededChoices(options.seed ?? 0);
    this.trace = new Trace(options.traceCapacity ?? 400);
    this.monitor = new InvariantMonitor([], {
      ...(options.stormThreshold !== undefined ? { stormThreshold: options.stormThreshold } : {}),
    });
    this.#rates = resolveFaultRates(options.faults);
    this.#maxInterleave = options.maxInterleave ?? 20;
    this.#allowedFinalizers = new Set(options.allowedFinalizers ?? []);
    this.#logger = options.logger ?? silentLogger;
    this.#runtimeOptions = options.runtime ?? {};
    const observe = (label: string) => this.#log('task', label);
    this.#scheduler = options.scheduler
      ? fastCheckSimScheduler(options.scheduler, observe)
      : createSimScheduler(this.choices, {
          observe,
          ...(options.maxDelay !== undefined ? { maxDelay: options.maxDelay } : {}),
        });
    this.#store = createObservedState(options.state ?? createState({ clock: this.clock }), (write) => {
      const key = `${write.pointer.namespace}\0${write.pointer.type}`;
      if (!this.#kinds.has(key))
        this.#kinds.set(key, { namespace: write.pointer.namespace, type: write.pointer.type });
      this.monitor.write(write);
    });
    this.user = withStateHelpers(this.#store);
    this.#destroys = new BackgroundDestroys(this.user, (text) => this.#log('op', text));
    this.#hooks = {
      monitor: this.monitor,
      choices: this.choices,
      faults: () => (this.#life.restarting ? { ...this.#rates, crash: 0 } : this.#rates),
      crash: (run, where) => this.#life.crash(where, run.incarnation),
      trace: (kind, text) => this.#log(kind, text),
    };
    this.#driveHost = {
      clock: this.clock,
      choices: this.choices,
      scheduler: this.#scheduler,
      timeRace: options.timeRace ?? 0.05,
      rates: () => this.#rates,
      crashed: () => this.#life.crashed,
      recovering: () => this.#life.recovering,
      restarting: () => this.#life.restarting,
      recover: () => this.#life.recover(),
      restart: () => this.restart(),
      stepped: () => {
        this.#steps++;
        this.monitor.step = this.#steps;
      },
      log: (kind, text) => this.#log(kind, text),
    };
    const lifecycleHost: LifecycleHost = {
      monitor: this.monitor,
      incarnation: (number, controllers) =>
        createIncarnation({
          number,
          store: this.#store,
          scheduler: this.#scheduler,
          clock: this.clock,
          choices: this.choices,
          logger: this.#logger,
          controllers,
          runtimeOptions: this.#runtimeOptions,
          stateFaults: () => this.#rates,
          hooks: this.#hooks,
          trace: (kind, text) => this.#log(kind, text),
        }),
      drive: (done) => this.#drive(done, this.#limits(), true),
      log: (kind, text) => this.#log(kind, text),
    };
    // Last: a factory may use the simulation (its clock, user view, scheduleFunction).
    const set = options?.controllers;
    this.#life = new Lifecycle(lifecycleHost, () => loadControllers(set, 'createSimulation', this));
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** The runtime of the current incarnation. */
  get runtime(): Runtime {
    const current = this.#life.current;
    if (current === undefined) throw new Error('simulation: not started');
    return current.runtime;
  }

  /** The controllers of the current runtime (as loaded for it). */
  get controllers(): readonly AnyControllerDefinition[] {
    return this.#life.controllers;
  }

  /** How many runtimes have run (1 + restarts + crashes). */
  get incarnations(): number {
    return this.#life.count;
  }

  /** The user operations so far, as text. */
  get operations(): readonly string[] {
    return this.#operations;
  }

  /** The fault rates in force now. */
  get faults(): ResolvedFaultRates {
    return this.#rates;
  }

  #log(kind: TraceKind, text: string): void {
    this.trace.add(this.#steps, this.clock.now() - this.#startedAt, kind, text);
  }

  /** Starts the first runtime. */
  async start(): Promise<void> {
    if (this.#life.current !== undefined) throw new Error('simulation: already started');
    await this.#life.start();
  }

  /** Kills the current runtime at once, as a crash would, and starts a new one on the same store. */
  async crash(): Promise<void> {
    const current = this.#life.current;
    if (current === undefined) throw new Error('simulation: not started');
    if (this.#life.restarting) throw new Error('simulation: cannot crash during a graceful restart');
    this.#life.crash('on request', current.number);
    await this.#life.recover();
  }

  /**
   * Stops the runtime gracefully (running reconciles finish, as the simulation drives them) and
   * starts a new one on the same store, optionally with another factory of controllers.
   */
  restart(options: { controllers?: ControllerSet } = {}): Promise<void> {
    const set = options.controllers;
    return this.#life.restart(set === undefined ? undefined : () => loadControllers(set, 'restart', this));
  }

  /** Turns every fault off: the liveness phase. */
  heal(): void {
    this.#rates = noFaults;
    this.#log('fault', 'faults healed');
  }

  /** Sets the fault rates from now on. */
  setFaults(rates: FaultRates): void {
    this.#rates = resolveFaultRates(rates);
  }

  /**
   * Takes one step: runs the pending task the schedule picks, then maybe a fault keyed by that task
   * (a graceful restart, a clock jump, time racing to the next timer ahead of the pending work).
   * Resolves `false` when nothing was pending.
   */
  step(): Promise<boolean> {
    return step(this.#driveHost);
  }

  #limits(): { deadline: number; maxSteps: number } {
    return { deadline: this.clock.now() + 600_000, maxSteps: 200_000 };
  }

  #drive(
    done: () => boolean,
    limits: { deadline: number; maxSteps: number },
    nested = false,
  ): Promise<DriveEnd> {
    return drive(this.#driveHost, done, limits, nested);
  }

  /**
   * Runs up to `steps` steps of pending work between two user operations; without `steps`, the
   * schedule picks how many (0 to `maxInterleave`).
   */
  async interleave(steps?: number): Promise<void> {
    await flushMicrotasks();
    const n = steps ?? this.choices.int(this.#maxInterleave + 1, 'interleave');
    for (let i = 0; i < n; i++) {
      if (this.#scheduler.pending() === 0 && !this.#life.crashed) break;
      await this.step();
    }
  }

  /**
   * Wraps async work a reconcile awaits outside the store (a platform call, a network request): the
   * work starts at once, but its result reaches the caller only when the schedule releases it, so
   * the seed decides when it completes relative to everything else.
   */
  scheduleFunction<TArgs extends unknown[], T>(
    fn: (...args: TArgs) => Promise<T> | T,
    label = fn.name || 'async work',
  ): (...args: TArgs) => Promise<T> {
    return scheduledFunction(this.#scheduler, fn, label);
  }

  /** Records a user operation. */
  userOperation(text: string): void {
    this.#operations.push(text);
    this.#log('op', text);
    this.monitor.inputChanged();
  }

  /** Runs the simulation until `promise` settles (moving virtual time when idle) and returns its value. */
  runUntil<T>(promise: Promise<T>, what: string): Promise<T> {
    return driveUntilSettled(this.#driveHost, promise, what, this.#limits());
  }

  /** Destroys in the background as a user's `teardownAndDestroy` would. */
  destroyInBackground(pointer: Pointer): void {
    this.#destroys.start(pointer);
  }

  /** The background destroy of a pointer, while it runs. */
  pendingDestroy(pointer: Pointer): Promise<void> | undefined {
    return this.#destroys.pending(pointer);
  }

  /**
   * Runs until nothing is runnable and no timer is due, or only timers remain and nothing was written
   * for `quietMs`: requeues and backoffs are waited out in virtual time. Stops early on a reconcile storm.
   */
  runUntilSettled(options: SettleOptions = {}): Promise<SettleResult> {
    return settle(
      {
        clock: this.clock,
        monitor: this.monitor,
        writes: () => this.#store.writes,
        pending: () => this.#scheduler.pending(),
        crashed: () => this.#life.crashed,
        steps: () => this.#steps,
        drive: (done, limits) => this.#drive(done, limits),
      },
      options,
    );
  }

  /** Every resource in the store of the kinds written during the run (or of one definition), sorted. */
  async resources(definition?: AnyResourceDefinition, namespace?: string): Promise<AnyResource[]> {
    if (definition !== undefined) {
      return [...(await this.user.list(definition.kind(namespace)))] as Resource<typeof definition>[];
    }
    const out: AnyResource[] = [];
    for (const kind of this.#kinds.values()) out.push(...(await this.user.list(kind)));
    return out;
  }

  /**
   * Every invariant broken so far, plus those of the settled store: no resource left tearingDown by
   * a controller, no finalizer of a controller that does not exist. Call after `runUntilSettled`.
   */
  async violations(options: { allowedFinalizers?: Iterable<string> } = {}): Promise<Violation[]> {
    const allowed = new Set([...this.#allowedFinalizers, ...(options.allowedFinalizers ?? [])]);
    const settled = checkSettledResources(await this.resources(), {
      controllers: this.#life.controllers.map((c) => c.name),
      allowedFinalizers: allowed,
    });
    const background = this.#destroys.errors.map((message) => ({ invariant: 'stuck' as const, message }));
    return [...this.monitor.violations, ...settled, ...background];
  }

  /** What a failure report says about each controller. */
  controllerSummaries(): Record<string, ControllerSummary> {
    const metrics = this.#life.current?.runtime.metrics().controllers ?? {};
    return summarizeControllers(this.#life.controllers, metrics, this.monitor.lastReconcile);
  }

  /** A failure report of this run so far. */
  report(title: string, extra: Partial<FailureReport> = {}): FailureReport {
    return {
      title,
      decisions: this.choices.describe(),
      operations: [...this.#operations],
      differences: [],
      violations: [...this.monitor.violations],
      controllers: this.controllerSummaries(),
      trace: this.trace.format(),
      steps: this.#steps,
      virtualMs: this.clock.now() - this.#startedAt,
      ...extra,
    };
  }

  /** Ends the simulation: the runtime is dropped as if the process exited. */
  dispose(): void {
    this.#life.current?.kill();
  }
}

/** Creates a {@link Simulation}; call `start()` before driving it. */
export function createSimulation(options: SimulationOptions): Simulation {
  return new Simulation(options);
}
