/**
 * One service's life: wait for its condition and dependencies, prepare, run, check health, restart
 * by policy with a growing delay while it crash-loops, stop on request. Every state change is an
 * event on the node's bus.
 */
import { merge, type Observable } from 'rxjs';
import type { ProcessHandle, ProcessPlatform } from '../../platform/processes.js';
import type { Clock } from '../../runtime/clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { ServiceState } from '../events/machine-event.js';
import { LogBuffer } from './log-buffer.js';
import type { ServiceDefinition } from './service.js';

/** What the runner needs from the supervisor around it. */
export interface RunnerHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly processes: ProcessPlatform;
  /** Whether a dependency is up (running and healthy, or finished). */
  isUp(id: string): boolean;
  /** Emits when any service's state changes. */
  readonly serviceChanges: Observable<unknown>;
}

/** The runner's view for the supervisor and the API. */
export interface ServiceStatus {
  readonly id: string;
  readonly state: ServiceState;
  readonly message: string;
  /** `undefined` while no health check has answered (or there is none). */
  readonly healthy: boolean | undefined;
  readonly hasHealthCheck: boolean;
  readonly restarts: number;
  /** Whether the API may start, stop or restart it. */
  readonly userControllable: boolean;
}

const maxRestartDelayMs = 5 * 60_000;
/** A run this long ends a crash loop's streak. */
const stableRunMs = 60_000;

/** Runs one service under the supervisor. */
export class ServiceRunner {
  readonly logs = new LogBuffer();
  #state: ServiceState = 'Initialized';
  #message = '';
  #healthy: boolean | undefined;
  #restarts = 0;
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    readonly definition: ServiceDefinition,
    private readonly host: RunnerHost,
  ) {}

  /** The current status. */
  status(): ServiceStatus {
    return {
      id: this.definition.id,
      state: this.#state,
      message: this.#message,
      healthy: this.#healthy,
      hasHealthCheck: this.definition.health !== undefined,
      restarts: this.#restarts,
      userControllable: this.definition.userControllable ?? false,
    };
  }

  /** Whether dependents may start: running and healthy (or without a check), or finished. */
  isUp(): boolean {
    if (this.#state === 'Finished') return true;
    return this.#state === 'Running' && (this.definition.health === undefined || this.#healthy === true);
  }

  /** Starts the service's loop; a running one is left alone. */
  start(): void {
    if (this.#loop) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.#loop = this.#run(stop.signal).finally(() => {
      if (this.#stop === stop) {
        this.#stop = undefined;
        this.#loop = undefined;
      }
    });
  }

  /** Stops the service (SIGTERM, then SIGKILL after its grace period) and waits until it is down. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#stop?.abort();
    await loop;
  }

  #set(state: ServiceState, message: string): void {
    if (state === this.#state && message === this.#message) return;
    this.#state = state;
    this.#message = message;
    this.host.bus.publish({
      type: 'service',
      service: this.definition.id,
      state,
      message,
      ...(this.#healthy === undefined ? {} : { healthy: this.#healthy }),
    });
  }

  async #run(signal: AbortSignal): Promise<void> {
    let streak = 0;
    while (!signal.aborted) {
      if (!(await this.#waitReady(signal))) break;
      const started = this.host.clock.now();
      const outcome = await this.#attempt(signal);
      if (outcome === 'stopped') break;
      const policy = this.definition.restart;
      if (policy.kind === 'once' || (policy.kind === 'untilSuccess' && outcome === 'success')) {
        this.#set(
          outcome === 'success' ? 'Finished' : 'Failed',
          outcome === 'success' ? 'Service finished successfully' : this.#message,
        );
        return;
      }
      streak = this.host.clock.now() - started >= stableRunMs ? 1 : streak + 1;
      const interval = policy.intervalMs ?? 5_000;
      const delay = Math.min(interval * 2 ** (streak - 1), maxRestartDelayMs);
      const loop = streak > 1 ? `, crash loop: ${streak} failed runs in a row, backing off` : '';
      this.#set('Waiting', `${this.#message}, restarting in ${Math.round(delay / 1000)}s${loop}`);
      if (!(await this.#sleep(delay, signal))) break;
      this.#restarts++;
    }
    this.#set('Finished', 'Service stopped');
  }

  /** Waits for dependencies and the condition; false when stopped meanwhile. */
  async #waitReady(signal: AbortSignal): Promise<boolean> {
    const sources: Observable<unknown>[] = [this.host.serviceChanges];
    if (this.definition.condition) sources.push(this.definition.condition.changes());
    let changed = false;
    let wake: (() => void) | undefined;
    const subscription = merge(...sources).subscribe(() => {
      changed = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        changed = false;
        const missing = [
          ...(this.definition.dependsOn ?? [])
            .filter((d) => !this.host.isUp(d))
            .map((d) => `service "${d}" to be "up"`),
          ...((await this.definition.condition?.missing()) ?? []),
        ];
        if (missing.length === 0) return !signal.aborted;
        this.#set('Waiting', `Waiting for ${missing.join(', ')}`);
        if (!changed && !signal.aborted) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      }
      return false;
    } finally {
      subscription.unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** One run: prepare, start, watch until exit or stop. */
  async #attempt(signal: AbortSignal): Promise<'success' | 'failure' | 'stopped'> {
    const { definition, host } = this;
    let handle: ProcessHandle;
    try {
      this.#set('Preparing', 'Running pre stage');
      await definition.preFunc?.({ signal });
      if (signal.aborted) return 'stopped';
      const spec = await definition.process({ signal });
      this.#set('Preparing', 'Creating service runner');
      handle = await host.processes.start(spec);
    } catch (error) {
      if (signal.aborted) return 'stopped';
      this.#set('Failed', `Failed to start: ${(error as Error)?.message ?? String(error)}`);
      return 'failure';
    }
    this.#healthy = undefined;
    const output = handle.output.subscribe((l) =>
      this.logs.append({ time: new Date(host.clock.now()).toISOString(), stream: l.stream, line: l.line }),
    );
    this.#set('Running', `Started task ${definition.id} (PID ${handle.pid}) for container ${definition.id}`);
    const health = new AbortController();
    void this.#healthLoop(health.signal);
    let onAbort!: () => void;
    const stopped = new Promise<'stopped'>((resolve) => {
      onAbort = () => resolve('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const result = await Promise.race([handle.exited, stopped]);
    signal.removeEventListener('abort', onAbort);
    health.abort();
    if (result === 'stopped') {
      this.#set('Stopping', 'Stopping the service');
      await handle.stop(definition.stopGraceMs ?? 10_000);
      output.unsubscribe();
      return 'stopped';
    }
    output.unsubscribe();
    this.#healthy = undefined;
    const how = result.signal ? `signal ${result.signal}` : `exit code ${result.code}`;
    if (result.code === 0) {
      this.#set('Finished', `Service exited with ${how}`);
      return 'success';
    }
    this.#set('Failed', `Error running ${definition.id}: ${how}`);
    return 'failure';
  }

  /** Checks health by the definition's schedule until aborted; publishes every transition. */
  async #healthLoop(signal: AbortSignal): Promise<void> {
    const check = this.definition.health;
    if (!check) return;
    if (!(await this.#sleep(check.initialDelayMs ?? 0, signal))) return;
    while (!signal.aborted) {
      const timeout = new AbortController();
      const timer = this.host.clock.setTimeout(() => timeout.abort(), check.timeoutMs ?? check.periodMs);
      let healthy = true;
      let reason = '';
      try {
        await Promise.race([
          check.check(timeout.signal),
          new Promise<never>((_, reject) =>
            timeout.signal.addEventListener('abort', () => reject(new Error('health check timed out')), {
              once: true,
            }),
          ),
        ]);
      } catch (error) {
        healthy = false;
        reason = (error as Error)?.message ?? String(error);
      } finally {
        this.host.clock.clearTimeout(timer);
      }
      if (signal.aborted) return;
      if (healthy !== this.#healthy) {
        this.#healthy = healthy;
        this.#message = '';
        this.#set('Running', healthy ? 'Health check successful' : `Health check failed: ${reason}`);
      }
      if (!(await this.#sleep(check.periodMs, signal))) return;
    }
  }

  /** Sleeps on the host's clock; false when aborted first. */
  #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.host.clock.clearTimeout(timer);
        resolve(false);
      };
      const timer = this.host.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
