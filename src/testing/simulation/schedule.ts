import fc from 'fast-check';
import { type Choices, choiceRange, scriptedChoices, seededChoices } from './seeded-random.js';

/** How a property run makes its decisions. */
export type ScheduleKind = 'script' | 'seed' | 'fast-check';

/**
 * The decisions of one property run, as fast-check generated them: a script of choices (shrinks
 * toward "oldest task first, no fault"), a seed, or fast-check's own scheduler plus a seed for faults.
 */
export class Schedule {
  private constructor(
    readonly kind: ScheduleKind,
    readonly script: readonly number[],
    /** How many buckets a script's decisions hash into (fixed, so shrinking never moves them). */
    readonly buckets: number,
    readonly seed: number,
    readonly scheduler: fc.Scheduler | undefined,
  ) {}

  /** A schedule read from a script of choices; trailing zeros are dropped (past the end reads 0). */
  static script(script: readonly number[], buckets = Math.max(1, script.length)): Schedule {
    let end = script.length;
    while (end > 0 && script[end - 1] === 0) end--;
    return new Schedule(
      'script',
      end === script.length ? script : script.slice(0, end),
      buckets,
      0,
      undefined,
    );
  }

  /** A schedule drawn from a seed. */
  static seed(seed: number): Schedule {
    return new Schedule('seed', [], 1, seed, undefined);
  }

  /** Task order from fast-check's scheduler, faults from a seed. */
  static fastCheck(scheduler: fc.Scheduler, seed: number): Schedule {
    return new Schedule('fast-check', [], 1, seed, scheduler);
  }

  /** The decisions this schedule makes (a fresh source each call). */
  choices(): Choices {
    return this.kind === 'script' ? scriptedChoices(this.script, this.buckets) : seededChoices(this.seed);
  }

  /** Short text for counterexamples: the non-zero choices of a script are its deviations from the default. */
  toString(): string {
    if (this.kind === 'seed') return `seed(${this.seed})`;
    if (this.kind === 'fast-check') return `fc.scheduler + seed(${this.seed}) ${String(this.scheduler)}`;
    const deviations = this.script.flatMap((v, i) => (v === 0 ? [] : [`${i}:${v}`]));
    return `script(${deviations.length} non-zero of ${this.buckets}${
      deviations.length > 0 && deviations.length <= 20 ? `: ${deviations.join(' ')}` : ''
    })`;
  }

  [fc.toStringMethod](): string {
    return this.toString();
  }

  /** fast-check clones values before each run: a used `fc.scheduler()` cannot run again. */
  [fc.cloneMethod](): Schedule {
    const scheduler = this.scheduler as
      | (fc.Scheduler & { [fc.cloneMethod]?: () => fc.Scheduler })
      | undefined;
    const copy = scheduler?.[fc.cloneMethod]?.() ?? scheduler;
    return new Schedule(this.kind, this.script, this.buckets, this.seed, copy);
  }
}

/**
 * Scripts of choices that shrink as delta debugging does, not value by value: to all defaults, then
 * by zeroing halves, quarters, ... of the non-zero choices down to single ones. Decisions find their
 * choice by name, so zeroing one leaves every other decision as it was.
 */
class ScriptArbitrary extends fc.Arbitrary<Schedule> {
  readonly #generator: fc.Arbitrary<number[]>;
  readonly #buckets: number;

  constructor(buckets: number) {
    super();
    this.#buckets = buckets;
    this.#generator = fc.array(fc.integer({ min: 0, max: choiceRange - 1 }), {
      maxLength: buckets,
      size: 'max',
    });
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Schedule> {
    return new fc.Value(
      Schedule.script(this.#generator.generate(mrng, biasFactor).value, this.#buckets),
      undefined,
    );
  }

  canShrinkWithoutContext(value: unknown): value is Schedule {
    return value instanceof Schedule && value.kind === 'script';
  }

  shrink(value: Schedule): fc.Stream<fc.Value<Schedule>> {
    return fc.stream(shrinkScript(value));
  }
}

function* shrinkScript(value: Schedule): Generator<fc.Value<Schedule>> {
  // Depends on the value alone: fast-check replays a shrink path without running the steps on it.
  const make = (script: readonly number[]) => new fc.Value(Schedule.script(script, value.buckets), undefined);
  const script = value.script;
  const nonZero = script.flatMap((v, i) => (v === 0 ? [] : [i]));
  if (nonZero.length === 0) return;
  yield make([]);
  for (let size = 2 ** Math.floor(Math.log2(Math.max(1, nonZero.length - 1))); size >= 1; size >>= 1) {
    for (let start = 0; start < nonZero.length; start += size) {
      const next = [...script];
      for (const i of nonZero.slice(start, start + size)) next[i] = 0;
      yield make(next);
    }
  }
}

/** Options of {@link scheduleArbitrary}. */
export interface ScheduleArbitraryOptions {
  /** `script` (default: shrinkable), `seed`, or `fast-check` (`fc.scheduler()` orders the tasks). */
  kind?: ScheduleKind;
  /** How many choices a script holds (default 1,024); decisions hash by name into them. */
  maxLength?: number;
}

/** The arbitrary of schedules for property runs. */
export function scheduleArbitrary(options: ScheduleArbitraryOptions = {}): fc.Arbitrary<Schedule> {
  const kind = options.kind ?? 'script';
  const seed = fc.integer({ min: 0, max: 0x7fffffff });
  if (kind === 'seed') return seed.map(Schedule.seed);
  if (kind === 'fast-check') return fc.tuple(fc.scheduler(), seed).map(([s, n]) => Schedule.fastCheck(s, n));
  if (kind !== 'script') throw new TypeError(`scheduleArbitrary: unknown kind ${String(kind)}`);
  const maxLength = options.maxLength ?? 1024;
  if (!(maxLength >= 1) || !Number.isInteger(maxLength)) {
    throw new RangeError(`scheduleArbitrary: maxLength must be an integer >= 1, got ${maxLength}`);
  }
  return new ScriptArbitrary(maxLength);
}
