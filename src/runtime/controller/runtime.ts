import type { Logger } from 'pino';
import { type Clock, wallClock } from '../clock.js';
import type { AnyResource } from '../resource/resource.js';
import type { CoreState, State } from '../state/state.js';
import { withStateHelpers } from '../state/state-helpers.js';
import { type BackoffOptions, type BackoffPolicy, resolveBackoff } from './backoff.js';
import { defaultRuntimeLogger } from './default-logger.js';
import type { AnyControllerDefinition } from './define-controller.js';
import { Dependencies } from './dependencies.js';
import type { DependencyGraph } from './dependency-graph.js';
import { FailureStreak } from './failure-streak.js';
import { FullRunner } from './full-runner.js';
import { type AnyInput, kindKey } from './inputs.js';
import { KindWatch, type KindWatchHost } from './kind-watch.js';
import type { RuntimeMetrics } from './metrics.js';
import { QRunner } from './q-runner.js';
import { TokenBucket, type WriteRateLimit } from './rate-limit.js';
import { checkDefinition, checkInputs, RegistrationError } from './registration.js';
import type { ReconcileEvent, Runner, RunnerHost } from './runner.js';
import { runtimeMetrics } from './runtime-metrics.js';
import { createDrainScheduler, type RuntimeScheduler } from './scheduler.js';
import { type SettledOptions, type SettledResult, settledResult, settleWithin } from './settled.js';
import { SourceWatch, type SourceWatchHost } from './source-watch.js';

/** Options of {@link createRuntime}; only `state` is required. */
export interface RuntimeOptions {
  /** The state the controllers read and write (any backend). */
  state: CoreState;
  /**
   * Where failures show: each streak of failures of a controller, watch or source once at warn,
   * and its recovery once at info. Defaults to pino at info on stderr; `pino({ level: 'silent' })`
   * silences it.
   */
  logger?: Logger;
  /** The only source of time (requeues, backoff, rate limits); defaults to the wall clock. */
  clock?: Clock;
  /** A token bucket on every controller write; off by default. */
  writeRateLimit?: WriteRateLimit;
  /** Restart backoff of failed reconciles (defaults: 500 ms × 1.5 up to 60 s, ±50% jitter). */
  backoff?: BackoffOptions;
  /** The source of backoff jitter, in `[0, 1)`; seed it for deterministic simulations. */
  random?: () => number;
  /** Where runnable work goes; a simulation passes a seeded scheduler. @experimental */
  experimental_scheduler?: RuntimeScheduler;
  /** Called at the start and end of every reconcile, for invariant checks. @experimental */
  experimental_onReconcile?: (event: ReconcileEvent) => void;
}

/** The controller runtime: register controllers, start, wait for convergence, stop. */
export interface Runtime {
  /** Adds a controller, before or after `start`; throws `RegistrationError` if it does not fit. */
  register(definition: AnyControllerDefinition): void;
  /** Opens the watches and runs every controller once. */
  start(): Promise<void>;
  /** Aborts every `ctx.signal`, waits for running reconciles, starts none afterwards, closes the watches. */
  stop(): Promise<void>;
  /**
   * Resolves when every change committed to the state so far has been delivered to the runtime and
   * no controller is running or runnable; timers due later (requeues, backoff) do not count.
   */
  settled(options?: SettledOptions): Promise<SettledResult>;
  /** The controllers, the types they read and write, and the edges between them. */
  dependencyGraph(): DependencyGraph;
  /** Per controller and per watched kind counters. */
  metrics(): RuntimeMetrics;
}

type Phase = 'new' | 'running' | 'stopping' | 'stopped';

function isState(core: CoreState): core is State {
  const s = core as Partial<State>;
  return (
    typeof s.modify === 'function' && typeof s.teardown === 'function' && typeof s.addFinalizer === 'function'
  );
}

function sameInputs(a: readonly AnyInput[], b: readonly AnyInput[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Creates a controller runtime over a state.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ state, logger, clock });
 * runtime.register(IntToStr);
 * await runtime.start();
 * await runtime.settled();
 * await runtime.stop();
 * ```
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  return new ControllerRuntime(options);
}

class ControllerRuntime implements Runtime {
  readonly #state: State;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #limiter: TokenBucket | undefined;
  readonly #scheduler: RuntimeScheduler;
  readonly #onReconcile: ((event: ReconcileEvent) => void) | undefined;
  readonly #deps = new Dependencies();
  readonly #watches = new Map<string, KindWatch>();
  /** Subscriptions of controllers to their external sources, open while running. */
  readonly #sourceWatches: SourceWatch[] = [];
  readonly #sourceHost: SourceWatchHost;
  readonly #busyRunners = new Set<Runner>();
  readonly #runnerHost: RunnerHost;
  readonly #watchHost: KindWatchHost;
  #phase: Phase = 'new';
  #stopping: Promise<void> | undefined;
  /** Tasks handed to the scheduler that have not run yet. */
  #outstanding = 0;
  /** Internal async work in progress (listings, re-subscriptions). */
  #internal = 0;
  /** Bumped by anything that may create work: settled() re-checks when it moved. */
  #epoch = 0;
  #idleWaiters: (() => void)[] = [];
  /** Scheduled tasks that threw (a bug in the runtime or a hook), logged once per streak. */
  readonly #taskFailures: FailureStreak;
  /** Throws of the `experimental_onReconcile` hook, logged once per streak. */
  readonly #hookFailures: FailureStreak;

  constructor(options: RuntimeOptions) {
    if (typeof options?.state?.watchKindAggregated !== 'function') {
      throw new TypeError('createRuntime: options.state must be a state (createState())');
    }
    this.#state = isState(options.state) ? options.state : withStateHelpers(options.state);
    this.#clock = options.clock ?? wallClock;
    this.#logger = options.logger ?? defaultRuntimeLogger();
    this.#taskFailures = new FailureStreak(this.#clock);
    this.#hookFailures = new FailureStreak(this.#clock);
    this.#random = options.random ?? Math.random;
    this.#backoff = resolveBackoff(options.backoff);
    this.#limiter = options.writeRateLimit ? new TokenBucket(options.writeRateLimit, this.#clock) : undefined;
    this.#scheduler = options.experimental_scheduler ?? createDrainScheduler();
    this.#onReconcile = options.experimental_onReconcile;
    this.#runnerHost = {
      state: this.#state,
      clock: this.#clock,
      random: this.#random,
      backoff: this.#backoff,
      limiter: this.#limiter,
      schedule: (label, run) => this.#schedule(label, run),
      setBusy: (runner, busy) => this.#setBusy(runner, busy),
      busy: (delta) => this.#busy(delta),
      report: (event) => this.#report(event),
      updateInputs: (runner, inputs) => this.#updateInputs(runner, inputs),
      known: (namespace, type, id) => this.#known(namespace, type, id),
    };
    this.#watchHost = {
      state: this.#state,
      clock: this.#clock,
      logger: this.#logger,
      backoff: this.#backoff,
      random: this.#random,
      scheduleFanOut: (watch) =>
        this.#schedule(`deliver ${watch.type}(${watch.namespace})`, () => this.#fanOut(watch)),
      busy: (delta) => this.#busy(delta),
      activity: () => {
        this.#epoch++;
      },
      relisted: (watch) => this.#resync(watch),
    };
    this.#sourceHost = {
      clock: this.#clock,
      backoff: this.#backoff,
      random: this.#random,
      activity: () => {
        this.#epoch++;
      },
    };
  }

  register(definition: AnyControllerDefinition): void {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      throw new RegistrationError(String(definition?.name), 'the runtime is stopped');
    }
    checkDefinition(definition);
    this.#deps.check(definition.name, definition.outputs);
    const logger = this.#logger.child({ controller: definition.name });
    const runner =
      definition.controllerType === 'full'
        ? new FullRunner(definition, this.#runnerHost, logger)
        : new QRunner(definition, this.#runnerHost, logger);
    this.#deps.add(runner);
    if (this.#phase === 'running') {
      this.#watchInputs(runner.inputs);
      this.#openSources(runner);
      runner.start();
    }
  }

  async start(): Promise<void> {
    if (this.#phase === 'running') return;
    if (this.#phase !== 'new') throw new Error('createRuntime: a stopped runtime cannot start again');
    this.#phase = 'running';
    for (const runner of this.#deps.runners.values()) this.#watchInputs(runner.inputs);
    for (const runner of this.#deps.runners.values()) this.#openSources(runner);
    for (const runner of this.#deps.runners.values()) runner.start();
    this.#logger.debug({ controllers: this.#deps.runners.size }, 'controller runtime started');
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const wasRunning = this.#phase === 'running';
    this.#phase = 'stopping';
    for (const watch of this.#watches.values()) watch.close();
    for (const watch of this.#sourceWatches) watch.close();
    this.#limiter?.close(new DOMException('the controller runtime is stopping', 'AbortError'));
    await Promise.all([...this.#deps.runners.values()].map((r) => r.stop()));
    this.#phase = 'stopped';
    this.#wakeIdleWaiters();
    if (wasRunning) this.#logger.debug('controller runtime stopped');
  }

  async settled(options: SettledOptions = {}): Promise<SettledResult> {
    await settleWithin(
      () => this.#settle(),
      options.timeout,
      () => this.#describeBusy(),
    );
    return settledResult(this.#deps.runners, options);
  }

  dependencyGraph(): DependencyGraph {
    return this.#deps.graph();
  }

  metrics(): RuntimeMetrics {
    return runtimeMetrics(this.#deps.runners, this.#watches.values(), this.#sourceWatches);
  }

  async #settle(): Promise<void> {
    for (;;) {
      if (this.#phase === 'stopped') return;
      await this.#whenIdle();
      const epoch = this.#epoch;
      await this.#delivered();
      if (this.#epoch === epoch && this.#isIdle()) return;
    }
  }

  /** Every event committed so far handed to the runtime's watches, or a best effort without the hook. */
  async #delivered(): Promise<void> {
    if (this.#state.delivered !== undefined) return this.#state.delivered();
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  #isIdle(): boolean {
    return (
      this.#phase === 'stopped' ||
      (this.#outstanding === 0 && this.#internal === 0 && this.#busyRunners.size === 0)
    );
  }

  #whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length > 0 && this.#isIdle()) this.#wakeIdleWaiters();
  }

  #wakeIdleWaiters(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #describeBusy(): string {
    const busy = [...this.#busyRunners].map((r) => r.name);
    return `${this.#outstanding} tasks scheduled, ${this.#internal} internal operations, busy controllers: ${busy.length > 0 ? busy.join(', ') : 'none'}`;
  }

  #schedule(label: string, run: () => void): void {
    this.#outstanding++;
    this.#epoch++;
    this.#scheduler.schedule({
      label,
      run: () => {
        this.#outstanding--;
        try {
          run();
          if (this.#taskFailures.attempts > 0)
            this.#taskFailures.recovered(this.#logger, 'runtime tasks recovered');
        } catch (error) {
          this.#taskFailures.failed(this.#logger, 'runtime task failed', error, { task: label }, 'error');
        }
        this.#checkIdle();
      },
    });
  }

  #setBusy(runner: Runner, busy: boolean): void {
    if (busy) {
      if (!this.#busyRunners.has(runner)) {
        this.#busyRunners.add(runner);
        this.#epoch++;
      }
    } else if (this.#busyRunners.delete(runner)) {
      this.#checkIdle();
    }
  }

  #busy(delta: 1 | -1): void {
    this.#internal += delta;
    if (delta > 0) this.#epoch++;
    else this.#checkIdle();
  }

  #report(event: ReconcileEvent): void {
    if (this.#onReconcile === undefined) return;
    try {
      this.#onReconcile(event);
      if (this.#hookFailures.attempts > 0)
        this.#hookFailures.recovered(this.#logger, 'experimental_onReconcile recovered');
    } catch (error) {
      this.#hookFailures.failed(this.#logger, 'experimental_onReconcile threw', error, {}, 'error');
    }
  }

  #known(namespace: string, type: string, id: string): AnyResource | undefined {
    return this.#watches.get(kindKey(namespace, type))?.known.get(id);
  }

  #watchInputs(inputs: readonly AnyInput[]): void {
    for (const i of inputs) {
      const key = kindKey(i.namespace, i.type);
      const existing = this.#watches.get(key);
      if (existing !== undefined) {
        if (this.#deps.queueReads(key)) existing.trackKnown();
        continue;
      }
      const watch = new KindWatch(i.namespace, i.type, this.#watchHost, this.#deps.queueReads(key));
      this.#watches.set(key, watch);
      watch.open();
    }
  }

  #openSources(runner: Runner): void {
    for (const source of runner.sources) {
      const watch = new SourceWatch(runner.name, source, this.#sourceHost, runner.logger, () => {
        if (this.#phase === 'running') runner.sourceChanged();
      });
      this.#sourceWatches.push(watch);
      watch.open();
    }
  }

  #updateInputs(runner: Runner, inputs: readonly AnyInput[]): void {
    checkInputs(runner.name, runner.controllerType, inputs);
    if (sameInputs(runner.inputs, inputs)) return;
    const sameKey = (a: AnyInput, b: AnyInput) =>
      a.kind === b.kind && a.namespace === b.namespace && a.type === b.type && a.id === b.id;
    const added = inputs.filter((i) => !runner.inputs.some((old) => sameKey(old, i)));
    this.#deps.replaceInputs(runner, Object.freeze([...inputs]));
    if (this.#phase === 'running') this.#watchInputs(inputs);
    runner.inputsChanged(added);
  }

  /** After a re-list, every controller with an input on the kind looks again. */
  #resync(watch: KindWatch): void {
    if (this.#phase !== 'running') return;
    const subs = this.#deps.subscribers(watch.key);
    if (subs === undefined) return;
    for (const s of subs.all) s.runner.resync(s.input);
    for (const list of subs.byId.values()) for (const s of list) s.runner.resync(s.input);
  }

  #fanOut(watch: KindWatch): void {
    const changes = watch.take();
    if (this.#phase !== 'running') return;
    const subs = this.#deps.subscribers(watch.key);
    if (subs === undefined) return;
    const all = subs.all;
    const byId = subs.byId;
    for (const change of changes) {
      for (let i = 0; i < all.length; i++) all[i]!.runner.trigger(all[i]!.input, change);
      if (byId.size > 0) {
        const list = byId.get(change.resource.metadata.id);
        if (list !== undefined) for (const s of list) s.runner.trigger(s.input, change);
      }
    }
  }
}
