import { describe, expect, it } from 'vitest';
import { backoffDelay, resolveBackoff } from '../../../src/runtime/controller/backoff.js';

describe('backoff', () => {
  it('should grow by the multiplier from the initial delay, capped, jittered by the random source', () => {
    const policy = resolveBackoff();
    const exact = Array.from({ length: 15 }, (_, i) => backoffDelay(i + 1, policy, () => 0.5));
    expect(exact.slice(0, 6)).toEqual([500, 750, 1125, 1688, 2531, 3797]);
    expect(exact.at(-1)).toBe(60_000);
    expect(backoffDelay(1, policy, () => 0)).toBe(250);
    expect(backoffDelay(1, policy, () => 0.999_999)).toBe(750);
    expect(backoffDelay(40, policy, () => 0.999_999)).toBe(60_000);
    expect(backoffDelay(40, policy, () => 0)).toBe(30_000);
  });

  it('should reject nonsense options', () => {
    expect(() => resolveBackoff({ initialMs: 0 })).toThrow(/initialMs/);
    expect(() => resolveBackoff({ multiplier: 0.5 })).toThrow(/multiplier/);
    expect(() => resolveBackoff({ initialMs: 100, maxMs: 10 })).toThrow(/maxMs/);
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(/jitter/);
  });
});
