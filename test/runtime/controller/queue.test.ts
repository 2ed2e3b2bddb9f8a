import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/runtime/controller/queue.js';
import { createVirtualClock } from '../../../src/testing/index.js';

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
