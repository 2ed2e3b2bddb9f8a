/** Exponential backoff of failed reconciles; defaults are COSI's (500 ms, ×1.5, up to 60 s, ±50%). */
export interface BackoffOptions {
  /** The first retry delay in milliseconds (default 500). */
  initialMs?: number;
  /** Each further failure multiplies the delay by this (default 1.5). */
  multiplier?: number;
  /** The delay never exceeds this (default 60,000). */
  maxMs?: number;
  /** The delay is randomised by ±this fraction (default 0.5). */
  jitter?: number;
}

/** Backoff options with defaults applied. @internal */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/** Applies defaults and rejects nonsense. @internal */
export function resolveBackoff(options: BackoffOptions = {}): BackoffPolicy {
  const policy = {
    initialMs: options.initialMs ?? 500,
    multiplier: options.multiplier ?? 1.5,
    maxMs: options.maxMs ?? 60_000,
    jitter: options.jitter ?? 0.5,
  };
  if (!(policy.initialMs > 0) || !Number.isFinite(policy.initialMs)) {
    throw new RangeError(`backoff initialMs must be a positive number, got ${policy.initialMs}`);
  }
  if (!(policy.multiplier >= 1))
    throw new RangeError(`backoff multiplier must be >= 1, got ${policy.multiplier}`);
  if (!(policy.maxMs >= policy.initialMs)) {
    throw new RangeError(`backoff maxMs must be >= initialMs, got ${policy.maxMs}`);
  }
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) {
    throw new RangeError(`backoff jitter must be within [0, 1], got ${policy.jitter}`);
  }
  return Object.freeze(policy);
}

/**
 * The delay before retry number `failures` (1 = after the first failure): the exponential interval,
 * capped, then jittered by `random()` and capped again so the cap is a real bound. @internal
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, failures - 1);
  const interval = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** exponent);
  const factor = 1 + policy.jitter * (2 * random() - 1);
  return Math.min(policy.maxMs, Math.max(0, Math.round(interval * factor)));
}
