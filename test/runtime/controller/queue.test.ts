import { describe, expect, it } from 'vitest';
import { backoffDelay, resolveBackoff } from '../../../src/runtime/controller/backoff.js';
import { WorkQueue } from '../../../src/runtime/controller/queue.js';
import { createVirtualClock } from '../../../src/testing/index.js';

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

describe('WorkQueue', () => {
  const setup = () => {
    const clock = createVirtualClock();
    let ready = 0;
    const queue = new WorkQueue<string>(clock, () => ready++);
    return { clock, queue, ready: () => ready };
  };

  it('should deduplicate puts by key, keep the latest value and hand keys out in FIFO order', () => {
    const { queue } = setup();
    queue.put('a', 'a1');
    queue.put('b', 'b1');
    queue.put('a', 'a2');
    queue.put('c', 'c1');
    const order: string[] = [];
    for (let e = queue.take(); e !== undefined; e = queue.take()) order.push(`${e.key}:${e.value}`);
    expect(order).toEqual(['a:a2', 'b:b1', 'c:c1']);
  });

  it('should never hand out an active key again, and run it once more if a put came after it started', () => {
    const { queue } = setup();
    queue.put('a', 'v1');
    const first = queue.take()!;
    first.started = true;
    queue.put('a', 'v2');
    queue.put('a', 'v3');
    expect(queue.take()).toBeUndefined();
    queue.release(first, undefined);
    const again = queue.take()!;
    expect(again.value).toBe('v3');
    again.started = true;
    queue.release(again, undefined);
    expect(queue.take()).toBeUndefined();
    expect(queue.readyCount + queue.delayedCount).toBe(0);
  });

  it('should release delayed keys in due order on the clock, and pull a delayed key forward on a put', async () => {
    const { queue, clock } = setup();
    for (const [key, delay] of [
      ['late', 300],
      ['early', 100],
      ['mid', 200],
      ['pulled', 1_000],
    ] as const) {
      queue.put(key, key);
      const e = queue.take()!;
      e.started = true;
      queue.release(e, delay);
    }
    expect(queue.take()).toBeUndefined();
    expect(queue.delayedCount).toBe(4);
    queue.put('pulled', 'now');
    expect(queue.take()?.value).toBe('now');
    await clock.advance(150);
    expect(queue.take()?.key).toBe('early');
    expect(queue.take()).toBeUndefined();
    await clock.advance(1_000);
    expect([queue.take()?.key, queue.take()?.key]).toEqual(['mid', 'late']);
    expect(clock.pending()).toBe(0);
  });
});
