import type { Clock, TimerHandle } from '../runtime/clock.js';

/** A clock whose time moves only when told: deterministic timers for tests and simulations. */
export interface VirtualClock extends Clock {
  /** Moves time forward by `ms`, running every timer that falls due, in due order; resolves after they ran. */
  advance(ms: number): Promise<void>;
  /** Runs timers (moving time to each) until none is pending; throws past `maxTimers`. */
  runUntilIdle(options?: { maxTimers?: number }): Promise<void>;
  /** How many timers are pending. */
  pending(): number;
  /** When the next timer is due, or `undefined`. */
  nextDue(): number | undefined;
}

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** Lets every queued microtask (and promise chain they start) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Creates a virtual clock starting at `start` (default 2026-01-01T00:00:00Z).
 *
 * @remarks Timers due at the same instant run in the order they were set. Between timers the clock
 * lets pending microtasks run, so async work started by one timer completes before the next fires.
 */
export function createVirtualClock(options: { start?: number } = {}): VirtualClock {
  let now = options.start ?? Date.UTC(2026, 0, 1);
  let nextId = 1;
  const timers: Timer[] = [];

  const popDue = (limit: number): Timer | undefined => {
    let best = -1;
    for (let i = 0; i < timers.length; i++) {
      const t = timers[i]!;
      if (
        t.due <= limit &&
        (best < 0 || t.due < timers[best]!.due || (t.due === timers[best]!.due && t.id < timers[best]!.id))
      ) {
        best = i;
      }
    }
    if (best < 0) return undefined;
    return timers.splice(best, 1)[0];
  };

  const clock: VirtualClock = {
    now: () => now,
    setTimeout(callback, ms): TimerHandle {
      const timer = { id: nextId++, due: now + Math.max(0, Number.isFinite(ms) ? ms : 0), callback };
      timers.push(timer);
      return timer.id;
    },
    clearTimeout(handle) {
      const i = timers.findIndex((t) => t.id === handle);
      if (i >= 0) timers.splice(i, 1);
    },
    async advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance: ms must be >= 0, got ${ms}`);
      const target = now + ms;
      await flushMicrotasks();
      for (let timer = popDue(target); timer !== undefined; timer = popDue(target)) {
        now = Math.max(now, timer.due);
        timer.callback();
        await flushMicrotasks();
      }
      now = target;
      await flushMicrotasks();
    },
    async runUntilIdle({ maxTimers = 100_000 } = {}) {
      await flushMicrotasks();
      for (let count = 0; timers.length > 0; count++) {
        if (count >= maxTimers)
          throw new Error(`runUntilIdle: more than ${maxTimers} timers fired; a timer loop?`);
        const timer = popDue(Number.POSITIVE_INFINITY)!;
        now = Math.max(now, timer.due);
        timer.callback();
        await flushMicrotasks();
      }
    },
    pending: () => timers.length,
    nextDue: () => (timers.length === 0 ? undefined : Math.min(...timers.map((t) => t.due))),
  };
  return clock;
}
