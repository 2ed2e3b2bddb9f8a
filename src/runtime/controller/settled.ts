import type { Runner } from './runner.js';

/** Options of `settled()`. */
export interface SettledOptions {
  /** Reject after this many milliseconds of wall time (a guard that works whatever clock is injected). */
  timeout?: number;
  /** Reject, naming them, when controllers are failing (in backoff) once settled. */
  rejectOnFailure?: boolean;
}

/** A controller whose last run failed and waits to retry. */
export interface FailingController {
  readonly controller: string;
  /** Full controllers: consecutive failures; queue controllers: items failing now. */
  readonly failures: number;
  readonly lastError: unknown;
}

/** What `settled()` resolves: settled does not mean well, so the failing controllers are named. */
export interface SettledResult {
  readonly failing: readonly FailingController[];
}

/** Waits for `settle`, or rejects after `timeout` ms of wall time naming what is still busy. */
export async function settleWithin(
  settle: () => Promise<void>,
  timeout: number | undefined,
  describeBusy: () => string,
): Promise<void> {
  if (timeout === undefined) return settle();
  if (!(timeout >= 0)) throw new RangeError(`settled: timeout must be >= 0, got ${timeout}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`settled: the runtime did not settle within ${timeout} ms (${describeBusy()})`)),
      timeout,
    );
    timer.unref?.();
  });
  try {
    return await Promise.race([settle(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The controllers failing once settled; with `rejectOnFailure`, an error naming them if any. */
export function settledResult(runners: ReadonlyMap<string, Runner>, options: SettledOptions): SettledResult {
  const failing: FailingController[] = [];
  for (const [name, runner] of runners) {
    if (runner.failures() === 0) continue;
    const m = runner.metrics();
    failing.push({ controller: name, failures: m.failures, lastError: m.lastError });
  }
  if (options.rejectOnFailure && failing.length > 0) {
    throw new AggregateError(
      failing.map((f) => f.lastError),
      `settled: ${failing.length} controller(s) failing: ${failing
        .map(
          (f) =>
            `${f.controller} (${f.failures}×: ${f.lastError instanceof Error ? f.lastError.message : String(f.lastError)})`,
        )
        .join(', ')}`,
    );
  }
  return Object.freeze({ failing: Object.freeze(failing) });
}
