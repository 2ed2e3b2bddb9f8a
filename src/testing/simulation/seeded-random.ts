/**
 * The one source of every decision a simulation takes: which task runs next, whether a fault
 * fires, how long a clock jump is. A seed replays the same run step for step.
 */
import { seededRandom } from '../../runtime/seeded-random.js';

export { type SeededRandom, seededRandom } from '../../runtime/seeded-random.js';

/**
 * Decisions of a simulation; `0`/`false` is always the unsurprising one (no delay, no fault).
 *
 * @remarks Each decision may name what it is (`key`, e.g. `delay`) and what it is about (`subject`,
 * e.g. the task's label): a script then answers it by that name and its occurrence, not by its
 * position, so removing an unrelated operation while shrinking leaves every other decision as it was.
 */
export interface Choices {
  /** An integer in `[0, n)`; takes no decision when `n <= 1`. */
  int(n: number, key?: string, subject?: string): number;
  /** True with probability `p`; takes no decision when `p <= 0`. */
  chance(p: number, key?: string, subject?: string): boolean;
  /** A float in `[0, 1)`. */
  float(key?: string, subject?: string): number;
  /** How many decisions were taken so far. */
  readonly taken: number;
  /** Where the decisions come from, for reports (`seed 42`, the deviations of a script). */
  describe(): string;
}

/** Decisions drawn from a seeded generator, in the order they are asked (keys are not needed). */
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

/** FNV-1a over a string, continuing from `h`. */
function fnv(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes an occurrence number into a name's hash (murmur3's finaliser). */
function mix(h: number, k: number): number {
  let x = (h ^ Math.imul(k, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A decision a script answered: what it was, about what, and which occurrence. */
interface ScriptDecision {
  readonly key: string;
  readonly subject: string;
  readonly occurrence: number;
}

/** Scripted decisions, with what the run asked of them. */
export interface ScriptedChoices extends Choices {
  /** The buckets the run read, with the first decision that read each. */
  readonly touched: ReadonlyMap<number, ScriptDecision>;
}

const nameOf = (d: ScriptDecision) => `${d.key}${d.subject === '' ? '' : ` ${d.subject}`}#${d.occurrence}`;

/**
 * Decisions read from a script of integers in `[0, choiceRange)`, as fast-check generates and
 * shrinks them. A decision reads the bucket its key, subject and occurrence hash to (out of
 * `buckets`, default the script's length); unnamed ones are named by their kind and count. Buckets
 * past the script's end read 0, so a script with fewer non-zero values is a simpler schedule.
 */
export function scriptedChoices(
  script: readonly number[],
  buckets = Math.max(1, script.length),
): ScriptedChoices {
  if (!(buckets >= 1) || !Number.isInteger(buckets)) throw new RangeError('buckets must be an integer >= 1');
  let taken = 0;
  // By key, then subject: the name's hash and how often it was asked (no strings built per decision).
  const names = new Map<string, Map<string, { hash: number; count: number }>>();
  const touched = new Map<number, ScriptDecision>();
  const read = (key: string, subject: string): number => {
    taken++;
    let bySubject = names.get(key);
    if (bySubject === undefined) {
      bySubject = new Map();
      names.set(key, bySubject);
    }
    let name = bySubject.get(subject);
    if (name === undefined) {
      name = { hash: fnv(subject, fnv(key)), count: 0 };
      bySubject.set(subject, name);
    }
    const occurrence = ++name.count;
    const bucket = mix(name.hash, occurrence) % buckets;
    if (!touched.has(bucket)) touched.set(bucket, { key, subject, occurrence });
    const v = bucket < script.length ? script[bucket]! : 0;
    return (Math.min(Math.max(Math.floor(v), 0), choiceRange - 1) + 0.5) / choiceRange;
  };
  return {
    int(n, key = 'int', subject = '') {
      if (n <= 1) return 0;
      return Math.min(n - 1, Math.floor(read(key, subject) * n));
    },
    chance(p, key = 'chance', subject = '') {
      if (p <= 0) return false;
      // 0 reads as "no": the fault fires only on the top `p` of the range.
      return read(key, subject) >= 1 - p;
    },
    float: (key = 'float', subject = '') => read(key, subject),
    get taken() {
      return taken;
    },
    touched,
    describe() {
      const deviations = [...touched]
        .filter(([bucket]) => (script[bucket] ?? 0) !== 0)
        .map(([bucket, decision]) => `${nameOf(decision)}=${script[bucket]}`);
      const shown = deviations.length <= 24 ? `: ${deviations.join(', ')}` : '';
      return `script, ${deviations.length} of ${touched.size} decisions away from the default${shown}`;
    },
  };
}
