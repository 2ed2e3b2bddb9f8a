/** A timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The only source of time for the store and the runtime.
 *
 * @remarks The wall clock is the default; tests inject a virtual clock from `converge/testing`
 * so that requeues, backoffs and timestamps are deterministic.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` after `ms` milliseconds of this clock's time. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now()` and Node's timers (unref'd, so they never keep a process alive). */
export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

const isoCache = { ms: Number.NaN, text: '' };

/** Formats a clock reading as RFC 3339 (UTC, millisecond precision), memoising the last value. */
export function formatTimestamp(ms: number): string {
  if (ms !== isoCache.ms) {
    isoCache.ms = ms;
    isoCache.text = new Date(ms).toISOString();
  }
  return isoCache.text;
}
