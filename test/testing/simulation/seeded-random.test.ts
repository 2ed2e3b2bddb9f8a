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
    const choices = scriptedChoices([0, 0]);
    expect(choices.int(10)).toBe(0);
    expect(choices.chance(0.5)).toBe(false);
    expect(choices.int(10)).toBe(0);
    expect(choices.chance(0.99)).toBe(false);
  });

  it('should map the range onto the options and fire high values', () => {
    const top = choiceRange - 1;
    const choices = scriptedChoices([top, top, choiceRange / 2]);
    expect(choices.int(4)).toBe(3);
    expect(choices.chance(0.1)).toBe(true);
    expect(choices.int(4)).toBe(2);
    expect(choices.describe()).toBe(`script of 3 choices (3 used): [${top}, ${top}, ${choiceRange / 2}]`);
  });
});
