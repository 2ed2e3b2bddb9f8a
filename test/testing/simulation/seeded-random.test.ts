import { describe, expect, it } from 'vitest';
import {
  choiceRange,
  scriptedChoices,
  seededChoices,
  seededRandom,
} from '../../../src/testing/simulation/seeded-random.js';

describe('seededRandom', () => {
  it('should repeat the same sequence for the same seed and differ for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const sa = Array.from({ length: 50 }, () => a.next());
    const sb = Array.from({ length: 50 }, () => b.next());
    const sc = Array.from({ length: 50 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const v of sa) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('should spread int(n) over the whole range', () => {
    const rng = seededRandom(7);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[rng.int(5)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('should fork independent but reproducible generators', () => {
    const f1 = seededRandom(1).fork();
    const f2 = seededRandom(1).fork();
    expect(f1.next()).toBe(f2.next());
  });

  it('should refuse a seed that is not an integer', () => {
    expect(() => seededRandom(1.5)).toThrow(/integer/);
  });
});

describe('seededChoices', () => {
  it('should take no decision when there is nothing to decide', () => {
    const choices = seededChoices(3);
    expect(choices.int(1)).toBe(0);
    expect(choices.chance(0)).toBe(false);
    expect(choices.taken).toBe(0);
    choices.int(3);
    choices.chance(0.5);
    expect(choices.taken).toBe(2);
    expect(choices.describe()).toBe('seed 3');
  });

  it('should fire a chance at about its rate', () => {
    const choices = seededChoices(11);
    let fired = 0;
    for (let i = 0; i < 10_000; i++) if (choices.chance(0.1)) fired++;
    expect(fired).toBeGreaterThan(850);
    expect(fired).toBeLessThan(1150);
  });
});

describe('scriptedChoices', () => {
  it('should read 0 as the unsurprising choice and fall back to it past the end', () => {
    const choices = scriptedChoices([0, 0], 64);
    expect(choices.int(10)).toBe(0);
    expect(choices.chance(0.5)).toBe(false);
    expect(choices.int(10, 'pick x')).toBe(0);
    expect(choices.chance(0.99, 'fault y')).toBe(false);
    expect(choices.taken).toBe(4);
  });

  it('should map the range onto the options and fire high values', () => {
    const top = choiceRange - 1;
    const all = (v: number) =>
      scriptedChoices(
        Array.from({ length: 4 }, () => v),
        4,
      );
    expect(all(top).int(4, 'a')).toBe(3);
    expect(all(top).chance(0.1, 'b')).toBe(true);
    expect(all(choiceRange / 2).int(4, 'c')).toBe(2);
    expect(all(choiceRange / 2).chance(0.1, 'd')).toBe(false);
  });

  it('should answer a named decision by its name and occurrence, not its position', () => {
    const script = Array.from({ length: 256 }, (_, i) => (i * 7919) % choiceRange);
    const a = scriptedChoices(script, 256);
    const first = [a.float('x'), a.float('x'), a.float('y')];
    const b = scriptedChoices(script, 256);
    b.float('unrelated');
    b.float('y');
    b.float('another');
    expect([b.float('x'), b.float('x')]).toEqual(first.slice(0, 2));
    expect(a.touched.size).toBeGreaterThan(0);
  });

  it('should describe the decisions that left their default', () => {
    const choices = scriptedChoices([], 16);
    choices.float('quiet');
    expect(choices.describe()).toBe('script, 0 of 1 decisions away from the default: ');
    const loud = scriptedChoices(
      Array.from({ length: 16 }, () => 9),
      16,
    );
    loud.chance(0.5, 'crash here');
    expect(loud.describe()).toBe('script, 1 of 1 decisions away from the default: crash here#1=9');
    expect(() => scriptedChoices([], 0)).toThrow(RangeError);
  });
});
