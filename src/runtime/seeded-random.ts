/**
 * A small seeded pseudo-random generator: one implementation shared by the simulation kit and the
 * simulated platform (MACs, DHCP addresses, retry jitter), so neither imports the other.
 */

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
