import { afterEach, describe, expect, it } from 'vitest';
import { defineController, input, output } from '../../../src/index.js';
import { type Harness, harness, Ints, memoryLogger, Strs, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

/** Nested async work that fails deep inside, as real controller code does. */
async function deep(level: number, fail: () => never): Promise<void> {
  await Promise.resolve();
  if (level === 0) fail();
  await deep(level - 1, fail);
}

describe('runtime: failures and backoff', () => {
  it('should make progress between failures of a controller that fails on every run', async () => {
    h = harness();
    const { state, runtime, clock } = h;
    for (let i = 0; i < 5; i++) await state.create(Ints.make(`i${i}`, { value: i }));
    let run = 0;
    const kinds = ['throw', 'reject', 'deep'] as const;
    runtime.register(
      defineController({
        name: 'OneAtATime',
        inputs: [input.weak(Ints)],
        outputs: [output.exclusive(Strs)],
        reconcile(ctx) {
          const kind = kinds[run++ % 3]!;
          const next = async () => {
            for (const i of await ctx.list(Ints.kind())) {
              try {
                await ctx.get(Strs.pointer(i.metadata.id));
              } catch {
                await ctx.create(Strs.make(i.metadata.id, { value: String(i.spec.value) }));
                return;
              }
            }
          };
          if (kind === 'throw') throw new Error('synchronous failure');
          if (kind === 'reject') return next().then(() => Promise.reject(new Error('rejected')));
          return next().then(() =>
            deep(5, () => {
              throw new TypeError('deep failure');
            }),
          );
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    const delays: number[] = [];
    while (run < 16) {
      const before = clock.now();
      const due = clock.nextDue();
      expect(due).toBeDefined();
      await clock.advance(due! - before);
      await runtime.settled();
      delays.push(clock.now() - before);
    }
    // Every run failed; jitter is pinned (random 0.5), so the backoff is exactly 500 × 1.5^n, capped.
    expect(delays.slice(0, 5)).toEqual([500, 750, 1125, 1688, 2531]);
    expect(await values(state, Strs)).toEqual(['i0=0', 'i1=1', 'i2=2', 'i3=3', 'i4=4']);
    const m = runtime.metrics().controllers.OneAtATime!;
    expect(m.errors).toBe(16);
    expect(m.reconciles).toBe(16);
    expect(m.restarts).toBe(15);
    expect(m.lastOutcome).toBe('error');
  });

  it('should cap the backoff at 60 s, jitter it from the random option, and reset it after one success', async () => {
    let fail = true;
    const rolls = [0, 0.999, 0.25];
    let r = 0;
    h = harness({ random: () => rolls[r++ % rolls.length]! });
    const { runtime, clock, state } = h;
    const runsAt: number[] = [];
    runtime.register(
      defineController({
        name: 'Flaky',
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile() {
          runsAt.push(clock.now());
          if (fail) throw new Error('not yet');
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    for (let i = 0; i < 20; i++) {
      await clock.advance(clock.nextDue()! - clock.now());
      await runtime.settled();
    }
    const gaps = runsAt.slice(1).map((t, i) => t - runsAt[i]!);
    // Jitter ±50%: roll 0 gives half the interval, 0.999 about 1.5×, 0.25 gives 0.75×.
    expect(gaps.slice(0, 3)).toEqual([250, 1124, 844]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(30_000);
    fail = false;
    await clock.advance(clock.nextDue()! - clock.now());
    await runtime.settled();
    expect(runtime.metrics().controllers.Flaky!.failures).toBe(0);
    expect(clock.pending()).toBe(0);
    // Failing again starts from the first interval.
    fail = true;
    r = 2;
    await state.create(Ints.make('wake', { value: 1 }));
    await runtime.settled();
    const before = clock.now();
    await clock.advance(clock.nextDue()! - before);
    expect(clock.now() - before).toBe(375);
  });

  it('should log a failure at warn under err with the controller, the run and the attempt', async () => {
    const { logger, records } = memoryLogger('debug');
    h = harness({ logger });
    const { runtime, clock } = h;
    let n = 0;
    runtime.register(
      defineController({
        name: 'Loud',
        inputs: [],
        outputs: [],
        async reconcile(ctx) {
          ctx.log.info('hello from the reconcile');
          if (n++ < 2) throw new Error(`boom ${n}`);
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    await clock.advance(500);
    await runtime.settled();
    await clock.advance(750);
    await runtime.settled();
    // Once per streak at warn; the rest of the streak at debug, and its end at info.
    const failures = records.filter(
      (r) => r.msg === 'reconcile failed' || r.msg === 'reconcile failed again',
    );
    expect(failures).toHaveLength(2);
    expect(failures.map((r) => [r.msg, r.level])).toEqual([
      ['reconcile failed', 40],
      ['reconcile failed again', 20],
    ]);
    expect(records.filter((r) => r.msg === 'reconcile recovered')).toMatchObject([
      { level: 30, controller: 'Loud', failures: 2 },
    ]);
    expect(failures[0]).toMatchObject({
      level: 40,
      controller: 'Loud',
      reconcile: 1,
      attempt: 1,
      retryInMs: 500,
    });
    expect((failures[0]!.err as { message: string }).message).toBe('boom 1');
    expect(failures[1]).toMatchObject({ controller: 'Loud', reconcile: 2, attempt: 2, retryInMs: 750 });
    const hellos = records.filter((r) => r.msg === 'hello from the reconcile');
    expect(hellos.map((r) => [r.controller, r.reconcile, r.attempt])).toEqual([
      ['Loud', 1, 1],
      ['Loud', 2, 2],
      ['Loud', 3, 3],
    ]);
  });

  it('should hold input changes during backoff until the retry is due', async () => {
    h = harness();
    const { runtime, clock, state } = h;
    let runs = 0;
    runtime.register(
      defineController({
        name: 'Patient',
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile() {
          runs++;
          if (runs === 1) throw new Error('first run fails');
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    for (let i = 0; i < 5; i++) await state.create(Ints.make(`p${i}`, { value: i }));
    await runtime.settled();
    expect(runs).toBe(1);
    await clock.advance(499);
    await runtime.settled();
    expect(runs).toBe(1);
    await clock.advance(1);
    await runtime.settled();
    expect(runs).toBe(2);
  });
});

describe('runtime: settled() names failing controllers', () => {
  it('should resolve naming every controller in backoff with its last error, and reject when asked', async () => {
    const hh = harness();
    try {
      hh.runtime.register(defineController({ name: 'Fine', inputs: [], outputs: [], reconcile() {} }));
      hh.runtime.register(
        defineController({
          name: 'Broken',
          inputs: [],
          outputs: [],
          reconcile() {
            throw new Error('disk on fire');
          },
        }),
      );
      await hh.runtime.start();
      const result = await hh.runtime.settled();
      expect(result.failing.map((f) => [f.controller, f.failures, String(f.lastError)])).toEqual([
        ['Broken', 1, 'Error: disk on fire'],
      ]);
      await expect(hh.runtime.settled({ rejectOnFailure: true })).rejects.toThrow(
        /1 controller\(s\) failing: Broken \(1×: disk on fire\)/,
      );
    } finally {
      await hh.runtime.stop();
    }
  });
});
