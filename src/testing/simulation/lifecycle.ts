import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import type { DriveEnd } from './drive.js';
import type { Incarnation } from './incarnation.js';
import { errorText, type InvariantMonitor } from './invariants.js';
import type { TraceKind } from './trace.js';

/** Makes the controllers of one runtime afresh (the simulation's factory, bound to it). */
export type LoadControllers = () => readonly AnyControllerDefinition[];

/** Calls a simulation's controller factory and checks what it made. @internal */
export function loadControllers<TSim>(
  factory: (sim: TSim) => readonly AnyControllerDefinition[],
  what: string,
  sim: TSim,
): readonly AnyControllerDefinition[] {
  if (typeof factory !== 'function') {
    throw new TypeError(
      `${what}: controllers must be a factory, e.g. \`controllers: () => [MyController]\`: a list's instances would be shared by every run, so a failure's replay would not reproduce it`,
    );
  }
  const list = factory(sim);
  if (!Array.isArray(list)) throw new TypeError(`${what}: the controllers factory must return an array`);
  return [...list];
}

/** What the runtime's lives need from their simulation. @internal */
export interface LifecycleHost {
  readonly monitor: InvariantMonitor;
  /** A new, unstarted runtime life over the simulation's store. */
  incarnation(number: number, controllers: readonly AnyControllerDefinition[]): Incarnation;
  /** Steps until `done()` inside a start or stop (a crash is left to the outer drive). */
  drive(done: () => boolean): Promise<DriveEnd>;
  log(kind: TraceKind, text: string): void;
}

/**
 * The runtime's lives: the first start, crashes (the process dies at once) and the recovery after
 * them, and graceful restarts. Every new life loads its controllers afresh, so none starts warm. @internal
 */
export class Lifecycle {
  readonly #host: LifecycleHost;
  #load: LoadControllers;
  #firstLoad: readonly AnyControllerDefinition[] | undefined;
  #controllers: readonly AnyControllerDefinition[];
  #current: Incarnation | undefined;
  #count = 0;
  #crashed = false;
  #recovering = false;
  #restarting = false;

  constructor(host: LifecycleHost, load: LoadControllers) {
    this.#host = host;
    this.#load = load;
    this.#controllers = load();
    this.#firstLoad = this.#controllers;
    host.monitor.setControllers(this.#controllers);
  }

  /** The current life, once started. */
  get current(): Incarnation | undefined {
    return this.#current;
  }

  /** The controllers of the current runtime (as loaded for it). */
  get controllers(): readonly AnyControllerDefinition[] {
    return this.#controllers;
  }

  /** How many runtimes have run (1 + restarts + crashes). */
  get count(): number {
    return this.#count;
  }

  /** A crash is waiting for the next runtime to start. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** A new runtime is starting after a crash. */
  get recovering(): boolean {
    return this.#recovering;
  }

  /** A graceful restart is under way. */
  get restarting(): boolean {
    return this.#restarting;
  }

  /** Starts a new runtime and drives it until its start completes (or a crash ends it). */
  async start(): Promise<void> {
    const number = ++this.#count;
    const { monitor } = this.#host;
    // A new process loads its controllers afresh; the first runtime uses those loaded at creation.
    this.#controllers = this.#firstLoad ?? this.#load();
    this.#firstLoad = undefined;
    monitor.setControllers(this.#controllers);
    const incarnation = this.#host.incarnation(number, this.#controllers);
    this.#current = incarnation;
    monitor.inputChanged();
    this.#host.log('runtime', `runtime #${number} starts`);
    let started = false;
    incarnation.runtime.start().then(
      () => {
        started = true;
      },
      (error: unknown) => {
        started = true;
        monitor.report('runtimeError', `runtime #${number} failed to start: ${errorText(error)}`);
      },
    );
    await this.#host.drive(() => started || !incarnation.scope.alive);
  }

  /**
   * Kills life `incarnation` where a crash fault hit it; `false` when it is not the current one,
   * or a graceful stop is under way (it waits for running reconciles: a crash would hang it).
   */
  crash(where: string, incarnation: number): boolean {
    const current = this.#current;
    if (this.#restarting) return false;
    if (current === undefined || current.number !== incarnation || !current.scope.alive) return false;
    this.#host.log('fault', `crash ${where}: runtime #${incarnation} dies`);
    current.kill();
    this.#host.monitor.abandon(incarnation);
    this.#crashed = true;
    return true;
  }

  /** Starts runtimes until one survives its start (a crash may hit the new one too). */
  async recover(): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    try {
      while (this.#crashed) {
        this.#crashed = false;
        await this.start();
      }
    } finally {
      this.#recovering = false;
    }
  }

  /** Stops the runtime gracefully, then starts a new one, optionally with other controllers. */
  async restart(load?: LoadControllers): Promise<void> {
    const current = this.#current;
    if (current === undefined) throw new Error('simulation: not started');
    if (this.#restarting) return;
    const { monitor } = this.#host;
    this.#restarting = true;
    try {
      this.#host.log('runtime', `runtime #${current.number} stops`);
      let stopped = false;
      current.runtime.stop().then(
        () => {
          stopped = true;
        },
        (error: unknown) => {
          stopped = true;
          monitor.report('runtimeError', `runtime #${current.number} failed to stop: ${errorText(error)}`);
        },
      );
      const end = await this.#host.drive(() => stopped);
      if (!stopped) monitor.report('stuck', `runtime #${current.number} stop() never completed (${end})`);
      current.kill();
      if (load !== undefined) {
        this.#load = load;
        this.#firstLoad = load();
      }
      await this.start();
    } finally {
      this.#restarting = false;
    }
  }
}
