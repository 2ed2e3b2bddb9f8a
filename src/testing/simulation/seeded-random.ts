/**
 * The one source of every decision a simulation takes: which task runs next, whether a fault
 * fires, how long a clock jump is. A seed replays the same run step for step.
 */

/** Decisions of a simulation; `0`/`false` is always the unsurprising one (oldest task first, no fault). */
export interface Choices {
  /** An integer in `[0, n)`; takes no decision when `n <= 1`. */
  int(n: number): number;
  /** True with probability `p`; takes no decision when `p <= 0`. */
  chance(p: number): boolean;
  /** A float in `[0, 1)`. */
  float(): number;
  /** How many decisions were taken so far. */
  readonly taken: number;
  /** Where the decisions come from, for reports (`seed 42`, `script of 120 choices`). */
  describe(): string;
}

/** A small fast seeded generator (sfc32 seeded through splitmix32): `next()` is in `[0, 1)`. */
export interface SeededRandom {
  readonly seed: number;
  /** A float in `[0, 1)`. */
  next(): number;
  /** An integer in `[0, n)`. */
  int(n: number): number;
  /** An independent generator derived from this one's next output. */
  fork(): SeededRandom;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a seeded generator; the same seed always yields the same sequence. */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isInteger(seed)) throw new TypeError(`seededRandom: seed must be an integer, got ${seed}`);
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next32();
  const rng: SeededRandom = {
    seed,
    next: () => next32() / 4_294_967_296,
    int: (n) => Math.floor((next32() / 4_294_967_296) * n),
    fork: () => seededRandom(next32() | 0),
  };
  return rng;
}

/** Decisions drawn from a seeded generator. */
export function seededChoices(seed: number): Choices {
  const rng = seededRandom(seed);
  let taken = 0;
  return {
    int(n) {
      if (n <= 1) return 0;
      taken++;
      return rng.int(n);
    },
    chance(p) {
      if (p <= 0) return false;
      taken++;
      return rng.next() < p;
    },
    float() {
      taken++;
      return rng.next();
    },
    get taken() {
      return taken;
    },
    describe: () => `seed ${seed}`,
  };
}

/** The range of one scripted choice: values are read as `value / choiceRange` in `[0, 1)`. */
export const choiceRange = 0x10000;

/**
 * Decisions read from a list of integers in `[0, choiceRange)`, as fast-check generates and shrinks
 * them; past the end of the list every decision is `0` (oldest task first, no fault), so a shorter
 * or smaller list is a simpler schedule.
 */
export function scriptedChoices(script: readonly number[]): Choices {
  let taken = 0;
  let at = 0;
  const read = (): number => {
    taken++;
    const v = at < script.length ? script[at]! : 0;
    at++;
    return (Math.min(Math.max(Math.floor(v), 0), choiceRange - 1) + 0.5) / choiceRange;
  };
  return {
    int(n) {
      if (n <= 1) return 0;
      return Math.min(n - 1, Math.floor(read() * n));
    },
    chance(p) {
      if (p <= 0) return false;
      // 0 reads as "no": the fault fires only on the top `p` of the range.
      return read() >= 1 - p;
    },
    float: () => read(),
    get taken() {
      return taken;
    },
    describe: () => {
      const used = Math.min(at, script.length);
      const shown = script.length <= 64 ? `: [${script.join(', ')}]` : '';
      return `script of ${script.length} choices (${used} used)${shown}`;
    },
  };
}
