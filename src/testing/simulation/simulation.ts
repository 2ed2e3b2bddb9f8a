import { type Logger, pino } from 'pino';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import type { Runtime } from '../../runtime/controller/runtime.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import { formatPointer, type Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource, Resource } from '../../runtime/resource/resource.js';
import { createState } from '../../runtime/state/create-state.js';
import type { State } from '../../runtime/state/state.js';
import { withStateHelpers } from '../../runtime/state/state-helpers.js';
import { createVirtualClock, flushMicrotasks, type VirtualClock } from '../virtual-clock.js';
import type { CommandTarget } from './commands.js';
import { type FaultRates, noFaults, type ResolvedFaultRates, resolveFaultRates } from './faults.js';
import { createIncarnation, type Incarnation, type SimulationRuntimeOptions } from './incarnation.js';
import type { InstrumentHooks } from './instrument.js';
import { checkSettledResources, errorText, InvariantMonitor, type Violation } from './invariants.js';
import { createObservedState, type ObservedState } from './observed-state.js';
import type { ControllerSummary, FailureReport } from './report.js';
import { type Choices, seededChoices } from './seeded-random.js';
import { type DriveEnd, settle } from './settle.js';
import {
  createSimScheduler,
  fastCheckSimScheduler,
  type SimScheduler,
  scheduledFunction,
} from './sim-scheduler.js';
import {
  type ControllerSet,
  loadControllers,
  type SettleOptions,
  type SettleResult,
  type SimulationOptions,
} from './simulation-options.js';
import { Trace, type TraceKind } from './trace.js';

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
  readonly #timeRace: number;
  readonly #allowedFinalizers: Set<string>;
  readonly #kinds = new Map<string, { namespace: string; type: string }>();
  readonly #operations: string[] = [];
  readonly #destroys = new Map<string, Promise<void>>();
  readonly #hooks: InstrumentHooks;
  #controllerSet: ControllerSet;
  /** The definitions of the current runtime (names and outputs for the invariants). */
  #controllers: readonly AnyControllerDefinition[];
  #firstLoad: readonly AnyControllerDefinition[] | undefined;
  #rates: ResolvedFaultRates;
  #current: Incarnation | undefined;
  #incarnations = 0;
  #steps = 0;
  #crashed = false;
  #recovering = false;
  #restarting = false;
  #backgroundErrors: string[] = [];

  constructor(options: SimulationOptions) {
    this.#controllerSet = options?.controllers;
    this.#controllers = [];
    this.clock = options.clock ?? createVirtualClock();
    this.#startedAt = this.clock.now();
    this.choices = options.choices ?? seededChoices(options.seed ?? 0);
    this.trace = new Trace(options.traceCapacity ?? 400);
    this.monitor = new InvariantMonitor(this.#controllers, {
      ...(options.stormThreshold !== undefined ? { stormThreshold: options.stormThreshold } : {}),
    });
    this.#rates = resolveFaultRates(options.faults);
    this.#maxInterleave = options.maxInterleave ?? 20;
    this.#timeRace = options.timeRace ?? 0.05;
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
    this.#hooks = {
      monitor: this.monitor,
      choices: this.choices,
      faults: () => (this.#restarting ? { ...this.#rates, crash: 0 } : this.#rates),
      crash: (run, where) => this.#crash(where, run.incarnation),
      trace: (kind, text) => this.#log(kind, text),
    };
    // Last: a factory may use the simulation (its clock, user view, scheduleFunction).
    this.#controllers = loadControllers(options.controllers, 'createSimulation', this);
    this.#firstLoad = this.#controllers;
    this.monitor.setControllers(this.#controllers);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** The runtime of the current incarnation. */
  get runtime(): Runtime {
    if (this.#current === undefined) throw new Error('simulation: not started');
    return this.#current.runtime;
  }

  /** The controllers of the current runtime (as loaded for it). */
  get controllers(): readonly AnyControllerDefinition[] {
    return this.#controllers;
  }

  /** How many runtimes have run (1 + restarts + crashes). */
  get incarnations(): number {
    return this.#incarnations;
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
    if (this.#current !== undefined) throw new Error('simulation: already started');
    await this.#startIncarnation();
  }

  async #startIncarnation(): Promise<void> {
    const number = ++this.#incarnations;
    // A new process loads its controllers afresh; the first runtime uses those loaded at creation.
    this.#controllers = this.#firstLoad ?? loadControllers(this.#controllerSet, 'simulation', this);
    this.#firstLoad = undefined;
    this.monitor.setControllers(this.#controllers);
    const incarnation = createIncarnation({
      number,
      store: this.#store,
      scheduler: this.#scheduler,
      clock: this.clock,
      choices: this.choices,
      logger: this.#logger,
      controllers: this.#controllers,
      runtimeOptions: this.#runtimeOptions,
      stateFaults: () => this.#rates,
      hooks: this.#hooks,
      trace: (kind, text) => this.#log(kind, text),
    });
    this.#current = incarnation;
    this.monitor.inputChanged();
    this.#log('runtime', `runtime #${number} starts`);
    let started = false;
    incarnation.runtime.start().then(
      () => {
        started = true;
      },
      (error: unknown) => {
        started = true;
        this.monitor.report('runtimeError', `runtime #${number} failed to start: ${errorText(error)}`);
      },
    );
    await this.#drive(() => started || !incarnation.scope.alive, this.#limits(), true);
  }

  #crash(where: string, incarnation: number): boolean {
    const current = this.#current;
    // A graceful stop waits for running reconciles: a crash now would leave it waiting forever.
    if (this.#restarting) return false;
    if (current === undefined || current.number !== incarnation || !current.scope.alive) return false;
    this.#log('fault', `crash ${where}: runtime #${incarnation} dies`);
    current.kill();
    this.monitor.abandon(incarnation);
    this.#crashed = true;
    return true;
  }

  /** Starts runtimes until one survives its start (a crash may hit the new one too). */
  async #recover(): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    try {
      while (this.#crashed) {
        this.#crashed = false;
        await this.#startIncarnation();
      }
    } finally {
      this.#recovering = false;
    }
  }

  /** Kills the current runtime at once, as a crash would, and starts a new one on the same store. */
  async crash(): Promise<void> {
    const current = this.#current;
    if (current === undefined) throw new Error('simulation: not started');
    if (this.#restarting) throw new Error('simulation: cannot crash during a graceful restart');
    this.#crash('on request', current.number);
    await this.#recover();
  }

  /**
   * Stops the runtime gracefully (running reconciles finish, as the simulation drives them) and
   * starts a new one on the same store, optionally with another set of controllers.
   */
  async restart(options: { controllers?: ControllerSet } = {}): Promise<void> {
    const current = this.#current;
    if (current === undefined) throw new Error('simulation: not started');
    if (this.#restarting) return;
    this.#restarting = true;
    try {
      this.#log('runtime', `runtime #${current.number} stops`);
      let stopped = false;
      current.runtime.stop().then(
        () => {
          stopped = true;
        },
        (error: unknown) => {
          stopped = true;
          this.monitor.report(
            'runtimeError',
            `runtime #${current.number} failed to stop: ${errorText(error)}`,
          );
        },
      );
      const end = await this.#drive(() => stopped, this.#limits(), true);
      if (!stopped)
        this.monitor.report('stuck', `runtime #${current.number} stop() never completed (${end})`);
      current.kill();
      if (options.controllers !== undefined) {
        this.#controllerSet = options.controllers;
        this.#firstLoad = loadControllers(options.controllers, 'restart', this);
      }
      await this.#startIncarnation();
    } finally {
      this.#restarting = false;
    }
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
  async step(): Promise<boolean> {
    if (this.#crashed && !this.#recovering) {
      await this.#recover();
      return true;
    }
    const label = await this.#scheduler.runNext();
    if (label === undefined) return false;
    await flushMicrotasks();
    this.#steps++;
    this.monitor.step = this.#steps;
    const rates = this.#rates;
    if (this.#crashed) return true;
    if (
      !this.#restarting &&
      !this.#recovering &&
      this.choices.chance(rates.restart, 'restart after', label)
    ) {
      this.#log('fault', 'graceful restart');
      await this.restart();
      return true;
    }
    if (this.choices.chance(rates.clockJump, 'clock jump after', label)) {
      const ms = Math.floor(this.choices.float('clock jump length after', label) * rates.maxClockJumpMs);
      this.#log('fault', `clock jumps ${ms} ms`);
      await this.clock.advance(ms);
    }
    const due = this.clock.nextDue();
    const pending = this.#scheduler.pending();
    if (pending > 0 && due !== undefined && this.choices.chance(this.#timeRace, 'time race after', label)) {
      this.#log('time', `time races ${due - this.clock.now()} ms ahead of ${pending} pending tasks`);
      await this.clock.advance(Math.max(0, due - this.clock.now()));
    }
    return true;
  }

  #limits(): { deadline: number; maxSteps: number } {
    return { deadline: this.clock.now() + 600_000, maxSteps: 200_000 };
  }

  /**
   * Steps until `done()`; when nothing is runnable, moves time to the next timer. Ends `idle` when
   * nothing is runnable and no timer is set.
   */
  async #drive(
    done: () => boolean,
    limits: { deadline: number; maxSteps: number },
    nested = false,
  ): Promise<DriveEnd> {
    let steps = 0;
    for (;;) {
      if (done()) return 'done';
      if (this.#crashed && !nested && !this.#recovering) {
        await this.#recover();
        continue;
      }
      if (this.#scheduler.pending() > 0) {
        if (steps++ >= limits.maxSteps) return 'maxSteps';
        await this.step();
        continue;
      }
      await flushMicrotasks();
      if (this.#scheduler.pending() > 0 || done()) continue;
      if (this.#crashed && !nested && !this.#recovering) continue;
      const due = this.clock.nextDue();
      if (due === undefined) return 'idle';
      if (due > limits.deadline) return 'deadline';
      this.#log('time', `idle: time moves ${due - this.clock.now()} ms to the next timer`);
      await this.clock.advance(Math.max(0, due - this.clock.now()));
      await flushMicrotasks();
    }
  }

  /**
   * Runs up to `steps` steps of pending work between two user operations; without `steps`, the
   * schedule picks how many (0 to `maxInterleave`).
   */
  async interleave(steps?: number): Promise<void> {
    await flushMicrotasks();
    const n = steps ?? this.choices.int(this.#maxInterleave + 1, 'interleave');
    for (let i = 0; i < n; i++) {
      if (this.#scheduler.pending() === 0 && !this.#crashed) break;
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
  async runUntil<T>(promise: Promise<T>, what: string): Promise<T> {
    let done = false;
    const tracked = promise.then(
      (v) => {
        done = true;
        return v;
      },
      (e: unknown) => {
        done = true;
        throw e;
      },
    );
    tracked.catch(() => {});
    const end = await this.#drive(() => done, this.#limits());
    if (!done) {
      throw new Error(
        `simulation: ${what} did not complete (${end === 'idle' ? 'nothing left to run' : end})`,
      );
    }
    return tracked;
  }

  /** Destroys in the background as a user's `teardownAndDestroy` would. */
  destroyInBackground(pointer: Pointer): void {
    const key = formatPointer(pointer);
    const done = this.user.teardownAndDestroy(pointer).then(
      () => {
        this.#destroys.delete(key);
        this.#log('op', `destroy of ${key} completed`);
      },
      (error: unknown) => {
        this.#destroys.delete(key);
        this.#backgroundErrors.push(`destroy of ${key} failed: ${errorText(error)}`);
      },
    );
    this.#destroys.set(key, done);
  }

  /** The background destroy of a pointer, while it runs. */
  pendingDestroy(pointer: Pointer): Promise<void> | undefined {
    return this.#destroys.get(formatPointer(pointer));
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
        crashed: () => this.#crashed,
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
      controllers: this.#controllers.map((c) => c.name),
      allowedFinalizers: allowed,
    });
    const background = this.#backgroundErrors.map((message) => ({ invariant: 'stuck' as const, message }));
    return [...this.monitor.violations, ...settled, ...background];
  }

  /** What a failure report says about each controller. */
  controllerSummaries(): Record<string, ControllerSummary> {
    const metrics = this.#current?.runtime.metrics().controllers ?? {};
    const out: Record<string, ControllerSummary> = {};
    for (const c of this.#controllers) {
      const m = metrics[c.name];
      const last = this.monitor.lastReconcile.get(c.name);
      out[c.name] = {
        ...(last !== undefined ? { last } : {}),
        ...(m !== undefined ? { reconciles: m.reconciles, errors: m.errors } : {}),
      };
    }
    return out;
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
    this.#current?.kill();
  }
}

/** Creates a {@link Simulation}; call `start()` before driving it. */
export function createSimulation(options: SimulationOptions): Simulation {
  return new Simulation(options);
}
