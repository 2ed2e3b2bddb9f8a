import type { Clock, TimerHandle } from '../clock.js';

/** A token bucket on controller writes: `perSecond` sustained, bursts of up to `burst` (default 1). */
export interface WriteRateLimit {
  perSecond: number;
  burst?: number;
}

/**
 * A token bucket driven by the injected clock. Callers reserve a token and wait for its turn, so
 * waiters are served in arrival order without a queue. @internal
 */
export class TokenBucket {
  readonly #clock: Clock;
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;
  readonly #waits = new Map<TimerHandle, (error: unknown) => void>();

  constructor(limit: WriteRateLimit, clock: Clock) {
    if (!(limit.perSecond > 0) || !Number.isFinite(limit.perSecond)) {
      throw new RangeError(`writeRateLimit.perSecond must be a positive number, got ${limit.perSecond}`);
    }
    const burst = limit.burst ?? 1;
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`writeRateLimit.burst must be a positive integer, got ${burst}`);
    }
    this.#clock = clock;
    this.#perMs = limit.perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Resolves when the caller may write; rejects with the signal's reason if it aborts first. */
  take(signal: AbortSignal): Promise<void> | undefined {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return undefined;
    const wait = Math.ceil(-this.#tokens / this.#perMs);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#clock.clearTimeout(handle);
        this.#waits.delete(handle);
        this.#tokens += 1;
        reject(signal.reason);
      };
      const handle = this.#clock.setTimeout(() => {
        this.#waits.delete(handle);
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      this.#waits.set(handle, (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels every wait (the runtime is stopping). */
  close(reason: unknown): void {
    for (const [handle, fail] of this.#waits) {
      this.#clock.clearTimeout(handle);
      fail(reason);
    }
    this.#waits.clear();
  }
}
