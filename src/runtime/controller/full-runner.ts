import type { Logger } from 'pino';
import type { TimerHandle } from '../clock.js';
import type { Pointer } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';
import { AccessPolicy } from './access-policy.js';
import { AcknowledgedWrites } from './acknowledged-writes.js';
import { backoffDelay } from './backoff.js';
import { Context, type ContextHost } from './context.js';
import { type ControllerDefinition, requeueDelay } from './define-controller.js';
import type { ExternalSource } from './external-source.js';
import { FailureStreak } from './failure-streak.js';
import { type AnyInput, type ControllerOutput, isDestroyReady } from './inputs.js';
import type { KindChange } from './kind-watch.js';
import { LazyAbort } from './lazy-abort.js';
import { type ControllerMetrics, newCounters } from './metrics.js';
import { contextHostOf, type Runner, type RunnerHost } from './runner.js';

type RunState = 'idle' | 'scheduled' | 'running' | 'backoff';

/** The reason `ctx.signal` carries when the runtime stops. @internal */
export function stoppingReason(): DOMException {
  return new DOMException('the controller runtime is stopping', 'AbortError');
}

/**
 * Runs one full-reconcile controller: at most one reconcile at a time, wake-ups coalesce into one
 * pending run, failures retry after a jittered exponential backoff that a success resets. @internal
 */
export class FullRunner implements Runner {
  readonly controllerType = 'full' as const;
  readonly name: string;
  readonly logger: Logger;
  readonly outputs: readonly ControllerOutput[];
  readonly sources: readonly ExternalSource[];
  inputs: readonly AnyInput[];

  readonly #definition: ControllerDefinition;
  readonly #host: RunnerHost;
  readonly #contextHost: ContextHost;
  readonly #label: string;
  #policy: AccessPolicy;
  #state: RunState = 'idle';
  /** A change (or the initial run) asks for another run. */
  #wanted = false;
  #started = false;
  #stopped = false;
  #failures = 0;
  #retrying = false;
  #seq = 0;
  #timer: TimerHandle | undefined;
  #abort: LazyAbort | undefined;
  #running: Promise<void> | undefined;
  readonly #counters = newCounters();
  /** Values this runner wrote for its own bookkeeping (see {@link Runner.beginOwnWrites}). */
  readonly #acknowledged = new AcknowledgedWrites();
  readonly #streak: FailureStreak;

  constructor(definition: ControllerDefinition, host: RunnerHost, logger: Logger) {
    this.#definition = definition;
    this.#host = host;
    this.#streak = new FailureStreak(host.clock);
    this.name = definition.name;
    this.logger = logger;
    this.inputs = Object.freeze([...definition.inputs]);
    this.outputs = Object.freeze([...definition.outputs]);
    this.sources = Object.freeze([...(definition.sources ?? [])]);
    this.#label = `reconcile ${definition.name}`;
    this.#policy = new AccessPolicy(this.name, this.inputs, this.outputs);
    this.#contextHost = contextHostOf(this, host, () => this.#policy);
  }

  start(): void {
    this.#started = true;
    this.#wake();
  }

  trigger(input: AnyInput, change: KindChange): void {
    if (input.kind === 'destroyReady' && !isDestroyReady(change.resource)) return;
    if (this.#acknowledged.take(change.resource)) return;
    this.#wake();
  }

  beginOwnWrites(targets: readonly Pointer[]): (stored: readonly (AnyResource | null)[] | undefined) => void {
    this.#acknowledged.begin(targets);
    return (stored) => {
      if (this.#acknowledged.end(targets, stored)) this.#wake();
    };
  }

  resync(): void {
    // Events were lost: the acknowledged ones may never come, and this run looks at everything.
    this.#acknowledged.clear();
    this.#wake();
  }

  sourceChanged(): void {
    this.#wake();
  }

  inputsChanged(): void {
    this.#policy = new AccessPolicy(this.name, this.inputs, this.outputs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    this.#abort?.abort(stoppingReason());
    await this.#running;
    this.#host.setBusy(this, false);
  }

  failures(): number {
    return this.#failures;
  }

  metrics(): ControllerMetrics {
    return {
      ...this.#counters,
      queueDepth: this.#wanted || this.#state === 'scheduled' || this.#state === 'backoff' ? 1 : 0,
      inFlight: this.#state === 'running' ? 1 : 0,
      failures: this.#failures,
    };
  }

  #wake(): void {
    this.#wanted = true;
    if (this.#started && !this.#stopped && this.#state === 'idle') this.#schedule();
  }

  #schedule(): void {
    this.#state = 'scheduled';
    this.#host.setBusy(this, true);
    this.#host.schedule(this.#label, this.#run);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #run = (): void => {
    if (this.#stopped) {
      this.#state = 'idle';
      this.#host.setBusy(this, false);
      return;
    }
    this.#state = 'running';
    this.#wanted = false;
    // This run supersedes a pending requeue; its own result decides the next one.
    this.#clearTimer();
    const seq = ++this.#seq;
    const attempt = this.#failures + 1;
    const counters = this.#counters;
    counters.reconciles++;
    if (this.#retrying) {
      this.#retrying = false;
      counters.restarts++;
    }
    const abort = new LazyAbort();
    this.#abort = abort;
    const ctx = new Context(this.#contextHost, abort, { reconcile: seq, attempt });
    if (this.logger.isLevelEnabled('debug'))
      this.logger.debug({ reconcile: seq, attempt }, 'reconcile started');
    this.#host.report({ controller: this.name, phase: 'start' });
    const started = this.#host.clock.now();
    let result: unknown;
    try {
      result = this.#definition.reconcile(ctx);
    } catch (error) {
      result = Promise.reject(error);
    }
    this.#running = Promise.resolve(result).then(
      (value) => this.#succeeded(seq, started, value),
      (error: unknown) => this.#failed(seq, attempt, started, abort, error),
    );
  };

  #succeeded(seq: number, started: number, value: unknown): void {
    this.#running = undefined;
    this.#abort = undefined;
    const counters = this.#counters;
    counters.lastDuration = counters.lastDurationMs = this.#host.clock.now() - started;
    counters.lastOutcome = 'success';
    this.#streak.recovered(this.logger, 'reconcile recovered', { reconcile: seq });
    this.#failures = 0;
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ reconcile: seq }, 'reconcile finished');
    this.#host.report({ controller: this.name, phase: 'end', outcome: 'success' });
    const delay = requeueDelay(value);
    if (delay !== undefined && !this.#stopped) {
      counters.requeues++;
      // Due now means runnable now: no timer, which a virtual clock would only fire when advanced.
      if (delay === 0) this.#wanted = true;
      else {
        this.#timer = this.#host.clock.setTimeout(() => {
          this.#timer = undefined;
          this.#wake();
        }, delay);
      }
    }
    this.#state = 'idle';
    if (this.#wanted && !this.#stopped) this.#schedule();
    else this.#host.setBusy(this, false);
  }

  #failed(seq: number, attempt: number, started: number, abort: LazyAbort, error: unknown): void {
    this.#running = undefined;
    this.#abort = undefined;
    const counters = this.#counters;
    counters.lastDuration = counters.lastDurationMs = this.#host.clock.now() - started;
    this.#state = 'idle';
    if (this.#stopped && abort.aborted) {
      // Cancelled by stop(): a clean exit, not a failure.
      counters.lastOutcome = 'aborted';
      this.#host.report({ controller: this.name, phase: 'end', outcome: 'aborted', error });
      this.#host.setBusy(this, false);
      return;
    }
    this.#failures++;
    counters.errors++;
    counters.lastOutcome = 'error';
    counters.lastError = error;
    const delay = backoffDelay(this.#failures, this.#host.backoff, this.#host.random);
    this.#streak.failed(this.logger, 'reconcile failed', error, {
      reconcile: seq,
      attempt,
      retryInMs: delay,
    });
    this.#host.report({ controller: this.name, phase: 'end', outcome: 'error', error });
    this.#host.setBusy(this, false);
    if (this.#stopped) return;
    this.#retrying = true;
    if (delay === 0) {
      this.#wake();
      return;
    }
    this.#state = 'backoff';
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#state = 'idle';
      this.#wake();
    }, delay);
  }
}
