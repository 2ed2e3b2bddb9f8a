import fc from 'fast-check';
import { type Choices, choiceRange, scriptedChoices, seededChoices } from './seeded-random.js';

/** How a property run makes its decisions. */
export type ScheduleKind = 'script' | 'seed' | 'fast-check';

/**
 * The decisions of one property run, as fast-check generated them: a script of choices (shrinks
 * toward "oldest task first, no fault"), a seed, or fast-check's own scheduler plus a seed for faults.
 */
export class Schedule {
  /** How many choices of the script the last run with this schedule read (for shrinking). */
  used: number | undefined;

  private constructor(
    readonly kind: ScheduleKind,
    readonly script: readonly number[],
    readonly seed: number,
    readonly scheduler: fc.Scheduler | undefined,
  ) {}

  /** A schedule read from a script of choices; trailing zeros are dropped (past the end reads 0). */
  static script(script: readonly number[]): Schedule {
    let end = script.length;
    while (end > 0 && script[end - 1] === 0) end--;
    return new Schedule('script', end === script.length ? script : script.slice(0, end), 0, undefined);
  }

  /** A schedule drawn from a seed. */
  static seed(seed: number): Schedule {
    return new Schedule('seed', [], seed, undefined);
  }

  /** Task order from fast-check's scheduler, faults from a seed. */
  static fastCheck(scheduler: fc.Scheduler, seed: number): Schedule {
    return new Schedule('fast-check', [], seed, scheduler);
  }

  /** The decisions this schedule makes (a fresh source each call); records how many were used. */
  choices(): Choices {
    if (this.kind !== 'script') return seededChoices(this.seed);
    const inner = scriptedChoices(this.script);
    const record = () => {
      this.used = Math.min(inner.taken, this.script.length);
    };
    return {
      int: (n) => {
        const v = inner.int(n);
        if (n > 1) record();
        return v;
      },
      chance: (p) => {
        const v = inner.chance(p);
        if (p > 0) record();
        return v;
      },
      float: () => {
        const v = inner.float();
        record();
        return v;
      },
      get taken() {
        return inner.taken;
      },
      describe: () => inner.describe(),
    };
  }

  /** Short text for counterexamples: the non-zero choices of a script are its deviations from FIFO. */
  toString(): string {
    if (this.kind === 'seed') return `seed(${this.seed})`;
    if (this.kind === 'fast-check') return `fc.scheduler + seed(${this.seed}) ${String(this.scheduler)}`;
    const deviations = this.script.flatMap((v, i) => (v === 0 ? [] : [`${i}:${v}`]));
    return `script(${this.script.length} choices, ${deviations.length} non-zero${
      deviations.length > 0 && deviations.length <= 20 ? `: ${deviations.join(' ')}` : ''
    })`;
  }

  [fc.toStringMethod](): string {
    return this.toString();
  }
}

/**
 * Scripts of choices that shrink as delta debugging does, not value by value: first to the prefix the
 * run actually read, then to all-FIFO, then by zeroing halves, quarters, ... down to single choices.
 * Zeroing keeps every other choice in place, so the rest of the schedule means the same thing.
 */
class ScriptArbitrary extends fc.Arbitrary<Schedule> {
  readonly #generator: fc.Arbitrary<number[]>;

  constructor(maxLength: number) {
    super();
    this.#generator = fc.array(fc.integer({ min: 0, max: choiceRange - 1 }), { maxLength, size: 'max' });
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Schedule> {
    return new fc.Value(Schedule.script(this.#generator.generate(mrng, biasFactor).value), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is Schedule {
    return value instanceof Schedule && value.kind === 'script';
  }

  shrink(value: Schedule): fc.Stream<fc.Value<Schedule>> {
    return fc.stream(shrinkScript(value));
  }
}

function* shrinkScript(value: Schedule): Generator<fc.Value<Schedule>> {
  let script = value.script;
  if (value.used !== undefined && value.used < script.length) {
    // Choices past what the run read change nothing: the prefix is the same run.
    script = script.slice(0, value.used);
    yield new fc.Value(Schedule.script(script), undefined);
  }
  if (!script.some((v) => v !== 0)) return;
  yield new fc.Value(Schedule.script([]), undefined);
  for (let size = 2 ** Math.floor(Math.log2(Math.max(1, script.length - 1))); size >= 1; size >>= 1) {
    for (let start = 0; start < script.length; start += size) {
      const end = Math.min(script.length, start + size);
      let nonZero = false;
      for (let i = start; i < end && !nonZero; i++) nonZero = script[i] !== 0;
      if (!nonZero) continue;
      const next = [...script];
      next.fill(0, start, end);
      yield new fc.Value(Schedule.script(next), undefined);
    }
  }
}

/** Options of {@link scheduleArbitrary}. */
export interface ScheduleArbitraryOptions {
  /** `script` (default: shrinkable), `seed`, or `fast-check` (`fc.scheduler()` orders the tasks). */
  kind?: ScheduleKind;
  /** Longest script (default 1,000 choices); past its end every choice is 0. */
  maxLength?: number;
}

/** The arbitrary of schedules for property runs. */
export function scheduleArbitrary(options: ScheduleArbitraryOptions = {}): fc.Arbitrary<Schedule> {
  const kind = options.kind ?? 'script';
  const seed = fc.integer({ min: 0, max: 0x7fffffff });
  if (kind === 'seed') return seed.map(Schedule.seed);
  if (kind === 'fast-check') return fc.tuple(fc.scheduler(), seed).map(([s, n]) => Schedule.fastCheck(s, n));
  if (kind !== 'script') throw new TypeError(`scheduleArbitrary: unknown kind ${String(kind)}`);
  const maxLength = options.maxLength ?? 1000;
  if (!(maxLength >= 0) || !Number.isInteger(maxLength)) {
    throw new RangeError(`scheduleArbitrary: maxLength must be an integer >= 0, got ${maxLength}`);
  }
  return new ScriptArbitrary(maxLength);
}
