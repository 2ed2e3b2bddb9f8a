import { describe, expect, it } from 'vitest';
import { History, resolveHistoryOptions } from '../../../src/runtime/state/history.js';
import type { WatchEvent } from '../../../src/runtime/state/watch-event.js';

const noop = (n: number): WatchEvent => ({ type: 'noop', bookmark: `event-${n}` });

function filled(config: { initialCapacity: number; maxCapacity: number; gap: number }, n: number): History {
  const h = new History(config);
  for (let i = 0; i < n; i++) h.append(noop(i));
  return h;
}

describe('History', () => {
  it('should double its capacity while filling for the first time, up to the maximum', () => {
    const h = new History({ initialCapacity: 8, maxCapacity: 32, gap: 2 });
    const capacities: number[] = [];
    for (let i = 0; i < 40; i++) {
      h.append(noop(i));
      capacities.push(h.capacity);
    }
    // Growth happens when the ninth and the seventeenth events arrive.
    expect(capacities.slice(0, 8)).toEqual(Array(8).fill(8));
    expect(capacities.slice(8, 16)).toEqual(Array(8).fill(16));
    expect(capacities.slice(16)).toEqual(Array(24).fill(32));
    // Every retained event is where it was written, across the growth and the wrap.
    for (let pos = 40 - 32; pos < 40; pos++) expect(h.at(pos)).toEqual(noop(pos));
  });

  it('should keep every event of the first fill until the ring is full-grown', () => {
    const h = filled({ initialCapacity: 4, maxCapacity: 64, gap: 1 }, 64);
    for (let pos = 0; pos < 64; pos++) expect(h.at(pos)).toEqual(noop(pos));
    expect(h.overrun(0)).toBe(false);
    h.append(noop(64));
    expect(h.overrun(0)).toBe(true);
    expect(h.overrun(1)).toBe(false);
  });

  it('should cap growth at a maximum that is not a power-of-two multiple', () => {
    const h = filled({ initialCapacity: 3, maxCapacity: 10, gap: 1 }, 20);
    expect(h.capacity).toBe(10);
    for (let pos = 10; pos < 20; pos++) expect(h.at(pos)).toEqual(noop(pos));
  });

  it('should freeze what it stores', () => {
    const h = filled({ initialCapacity: 2, maxCapacity: 2, gap: 0 }, 1);
    expect(Object.isFrozen(h.at(0))).toBe(true);
  });

  it('should let bookmarks resume from any position while growing, and capacity − gap back once full', () => {
    const growing = filled({ initialCapacity: 8, maxCapacity: 32, gap: 2 }, 20);
    expect(growing.capacity).toBe(32);
    expect(growing.oldestResumable()).toBe(0);
    const stillGrowing = filled({ initialCapacity: 8, maxCapacity: 64, gap: 2 }, 16);
    expect(stillGrowing.oldestResumable()).toBe(0);
    const full = filled({ initialCapacity: 8, maxCapacity: 32, gap: 2 }, 100);
    expect(full.oldestResumable()).toBe(100 - 32 + 2);
    const fixed = filled({ initialCapacity: 10, maxCapacity: 10, gap: 3 }, 9);
    // A ring that never grows applies the gap from the start.
    expect(fixed.oldestResumable()).toBe(2);
  });

  it('should clamp tails to capacity − gap and to what was written', () => {
    expect(filled({ initialCapacity: 8, maxCapacity: 32, gap: 2 }, 5).tailLimit()).toBe(5);
    expect(filled({ initialCapacity: 8, maxCapacity: 32, gap: 2 }, 31).tailLimit()).toBe(30);
    expect(filled({ initialCapacity: 8, maxCapacity: 32, gap: 2 }, 1000).tailLimit()).toBe(30);
    expect(filled({ initialCapacity: 10, maxCapacity: 10, gap: 3 }, 50).tailLimit()).toBe(7);
  });
});

describe('resolveHistoryOptions', () => {
  it('should default to 100 growing to 10,000 with a gap of 5', () => {
    expect(resolveHistoryOptions()).toEqual({ initialCapacity: 100, maxCapacity: 10_000, gap: 5 });
  });

  it('should raise a maximum below the initial capacity to it', () => {
    expect(resolveHistoryOptions({ initialCapacity: 50, maxCapacity: 10 })).toMatchObject({
      maxCapacity: 50,
    });
  });

  it('should reject sizes that cannot work', () => {
    expect(() => resolveHistoryOptions({ initialCapacity: 0 })).toThrow(RangeError);
    expect(() => resolveHistoryOptions({ initialCapacity: 2.5 })).toThrow(/initialCapacity/);
    expect(() => resolveHistoryOptions({ initialCapacity: 8, gap: 8 })).toThrow(/gap/);
    expect(() => resolveHistoryOptions({ gap: -1 })).toThrow(/gap/);
  });
});
