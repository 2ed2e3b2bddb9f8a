import type { Logger } from 'pino';
import type { Observable, Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../clock.js';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import type { ExternalSource } from './external-source.js';
import { FailureStreak } from './failure-streak.js';

/** Counters of one controller's subscription to one external source. */
export interface SourceMetrics {
  readonly controller: string;
  readonly source: string;
  /** Emissions received (each wakes the controller; wake-ups coalesce). */
  readonly emissions: number;
  /** Times the source errored (or its `changes()` threw). */
  readonly errors: number;
  /** Times it was subscribed again after an error. */
  readonly resubscribes: number;
}

/** What a source watch needs from the runtime. @internal */
export interface SourceWatchHost {
  readonly clock: Clock;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  /** Something happened that may create work: settled() must look again. */
  activity(): void;
}

/**
 * One runtime instance's subscription of one controller to one external source: every emission
 * calls `wake`; an error is logged and the source subscribed again after a backoff, which the next
 * emission resets; a completed source stays closed. @internal
 */
export class SourceWatch {
  readonly controller: string;
  readonly source: ExternalSource;
  emissions = 0;
  errors = 0;
  resubscribes = 0;

  readonly #host: SourceWatchHost;
  readonly #logger: Logger;
  readonly #wake: () => void;
  #subscription: Subscription | undefined;
  #timer: TimerHandle | undefined;
  readonly #streak: FailureStreak;
  #closed = false;

  constructor(
    controller: string,
    source: ExternalSource,
    host: SourceWatchHost,
    logger: Logger,
    wake: () => void,
  ) {
    this.controller = controller;
    this.source = source;
    this.#host = host;
    this.#streak = new FailureStreak(host.clock);
    this.#logger = logger;
    this.#wake = wake;
  }

  /** Subscribes to the source. */
  open(): void {
    if (this.#closed || this.#subscription !== undefined) return;
    let changes: Observable<unknown>;
    try {
      changes = this.source.changes();
      if (typeof changes?.subscribe !== 'function') {
        throw new TypeError(
          `source ${JSON.stringify(this.source.name)}: changes() did not return an Observable`,
        );
      }
    } catch (error) {
      this.#failed(error);
      return;
    }
    let subscription: Subscription | undefined;
    let ended = false;
    subscription = changes.subscribe({
      next: () => this.#emitted(),
      error: (error: unknown) => {
        ended = true;
        // Only the current subscription's error counts (not one that arrives after close()).
        if (subscription === undefined || subscription === this.#subscription) this.#failed(error);
      },
      complete: () => {
        ended = true;
        if (subscription === this.#subscription) this.#subscription = undefined;
        if (!this.#closed) this.#logger.warn({ source: this.source.name }, 'external source completed');
      },
    });
    if (!ended) this.#subscription = subscription;
  }

  /** Unsubscribes and cancels a pending resubscription. */
  close(): void {
    this.#closed = true;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  metrics(): SourceMetrics {
    return {
      controller: this.controller,
      source: this.source.name,
      emissions: this.emissions,
      errors: this.errors,
      resubscribes: this.resubscribes,
    };
  }

  #emitted(): void {
    if (this.#closed) return;
    this.emissions++;
    this.#streak.recovered(this.#logger, 'external source recovered', { source: this.source.name });
    this.#host.activity();
    this.#wake();
  }

  #failed(error: unknown): void {
    this.#subscription = undefined;
    if (this.#closed) return;
    this.errors++;
    const attempt = this.#streak.attempts + 1;
    const delay = backoffDelay(attempt, this.#host.backoff, this.#host.random);
    this.#streak.failed(this.#logger, 'external source failed', error, {
      source: this.source.name,
      attempt,
      retryInMs: delay,
    });
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.resubscribes++;
      this.open();
      // Changes may have been missed while it was down: once subscribed again, the controller looks.
      if (this.#subscription !== undefined) this.#wake();
    }, delay);
  }
}
