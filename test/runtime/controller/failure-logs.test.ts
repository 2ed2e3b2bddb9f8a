import { map } from 'rxjs/operators';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  createState,
  defineController,
  defineQController,
  input,
  mergeController,
  output,
  type State,
  transformController,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { type Harness, harness, Ints, memoryLogger, Strs, Sums } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

/** The lines a logger at the default level (info) would print, as `level msg`. */
function shown(records: readonly Record<string, unknown>[]): string[] {
  return records.filter((r) => (r.level as number) >= 30).map((r) => `${r.level} ${r.msg}`);
}

/** Lets the virtual clock run every due timer until nothing is left within `ms`. */
async function runFor(hh: Harness, ms: number): Promise<void> {
  const end = hh.clock.now() + ms;
  for (;;) {
    await hh.runtime.settled();
    const due = hh.clock.nextDue();
    if (due === undefined || due > end) break;
    await hh.clock.advance(due - hh.clock.now());
  }
  await hh.clock.advance(end - hh.clock.now());
  await hh.runtime.settled();
}

describe('runtime: failures show once per streak', () => {
  it('should log a full controller once per streak with its message first, and once when it recovers', async () => {
    const { logger, records } = memoryLogger('info');
    h = harness({ logger });
    let failFor = 3;
    h.runtime.register(
      defineController({
        name: 'Flaky',
        inputs: [input.weak(Ints)],
        outputs: [],
        reconcile() {
          if (failFor > 0) {
            failFor--;
            throw new Error('disk full');
          }
        },
      }),
    );
    await h.runtime.start();
    await runFor(h, 10_000);
    // Backoff at jitter 0.5: 500, 750, 1125 ms; the fourth run succeeds 2375 ms after the first failure.
    expect(shown(records)).toEqual(['40 reconcile failed', '30 reconcile recovered']);
    const [failed, recovered] = records.filter((r) => (r.level as number) >= 30);
    expect(Object.keys(failed!).indexOf('error')).toBeLessThan(Object.keys(failed!).indexOf('err'));
    expect(failed).toMatchObject({
      controller: 'Flaky',
      error: 'disk full',
      attempt: 1,
      retryInMs: 500,
      err: { message: 'disk full' },
    });
    expect(recovered).toMatchObject({ controller: 'Flaky', failures: 3, failingForMs: 2375 });
    // A second streak is a second line, and a second recovery.
    failFor = 2;
    await h.state.create(Ints.make('wake', { value: 1 }));
    await runFor(h, 10_000);
    expect(shown(records)).toEqual([
      '40 reconcile failed',
      '30 reconcile recovered',
      '40 reconcile failed',
      '30 reconcile recovered',
    ]);
    expect(records.filter((r) => r.msg === 'reconcile recovered')[1]).toMatchObject({
      failures: 2,
      failingForMs: 1250,
    });
  });

  it('should log a queue controller once per streak, however many items fail in it', async () => {
    const { logger, records } = memoryLogger('info');
    h = harness({ logger });
    const attempts = new Map<string, number>();
    h.runtime.register(
      defineQController({
        name: 'Storm',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile(_ctx, p) {
          const n = (attempts.get(p.id) ?? 0) + 1;
          attempts.set(p.id, n);
          if (n <= 2) throw new Error(`item ${p.id} not ready`);
        },
      }),
    );
    for (let i = 0; i < 30; i++) await h.state.create(Ints.make(`i${i}`, { value: i }));
    await h.runtime.start();
    await runFor(h, 10_000);
    expect([...attempts.values()].every((n) => n === 3)).toBe(true);
    expect(shown(records)).toEqual(['40 reconcile failed', '30 queue recovered: no item failing']);
    expect(records.find((r) => r.msg === 'reconcile failed')).toMatchObject({
      controller: 'Storm',
      error: 'item i0 not ready',
      attempt: 1,
      retryInMs: 500,
    });
    expect(records.find((r) => r.msg === 'queue recovered: no item failing')).toMatchObject({
      controller: 'Storm',
      failures: 60,
    });
    expect(h.runtime.metrics().controllers.Storm!.errors).toBe(60);
  });

  it('should log failing transform and merge controllers once per streak', async () => {
    const { logger, records } = memoryLogger('info');
    h = harness({ logger });
    let broken = true;
    h.runtime.register(
      transformController({
        name: 'BrokenTransform',
        input: Ints,
        output: Strs,
        map: () => {
          if (broken) throw new Error('map cannot parse');
          return null;
        },
      }),
    );
    h.runtime.register(
      mergeController({
        name: 'BrokenMerge',
        input: Ints,
        output: Sums,
        key: () => 'all',
        priority: () => 0,
        merge: () => {
          if (broken) throw new Error('merge cannot combine');
          return { value: 0 };
        },
      }),
    );
    for (let i = 0; i < 5; i++) await h.state.create(Ints.make(`i${i}`, { value: i }));
    await h.runtime.start();
    await runFor(h, 5_000);
    const warned = records.filter((r) => r.level === 40);
    // One line each, in whichever order the two ran; each names its cause.
    expect(warned.map((r) => [r.controller, r.msg, r.error]).sort()).toEqual([
      ['BrokenMerge', 'reconcile failed', 'merge cannot combine'],
      ['BrokenTransform', 'reconcile failed', expect.stringContaining('map cannot parse')],
    ]);
    broken = false;
    await runFor(h, 60_000);
    expect(records.filter((r) => r.msg === 'reconcile recovered').map((r) => r.controller)).toEqual(
      expect.arrayContaining(['BrokenTransform', 'BrokenMerge']),
    );
    expect(shown(records)).toHaveLength(4);
  });

  it('should log an access error once per streak', async () => {
    const { logger, records } = memoryLogger('info');
    h = harness({ logger });
    h.runtime.register(
      defineController({
        name: 'Trespasser',
        inputs: [],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx) {
          await ctx.create(Sums.make('not-mine', { value: 1 }));
        },
      }),
    );
    await h.runtime.start();
    await runFor(h, 20_000);
    expect(h.runtime.metrics().controllers.Trespasser!.errors).toBeGreaterThan(3);
    expect(shown(records)).toEqual(['40 reconcile failed']);
    expect(records[0]).toMatchObject({
      controller: 'Trespasser',
      error: expect.stringContaining(Sums.type),
      err: { type: 'AccessError' },
    });
  });

  it('should log a failing listing of a primary input once, and its recovery', async () => {
    const { logger, records } = memoryLogger('info');
    const clock = createVirtualClock();
    const inner = createState({ clock });
    let refusals = 3;
    const state: State = {
      ...inner,
      list: (kind, options) =>
        refusals-- > 0 ? Promise.reject(new Error('store unavailable')) : inner.list(kind, options),
    };
    const runtime = createRuntime({ state, clock, logger, random: () => 0.5 });
    h = { clock, state, runtime, open: () => 0 };
    const seen: string[] = [];
    await inner.create(Ints.make('a', { value: 1 }));
    runtime.register(
      defineQController({
        name: 'Lister',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile(_ctx, p) {
          seen.push(p.id);
        },
      }),
    );
    await runtime.start();
    await runFor(h, 10_000);
    expect(seen).toEqual(['a']);
    expect(shown(records)).toEqual([
      '40 listing a primary input failed',
      '30 listing a primary input recovered',
    ]);
    expect(records[0]).toMatchObject({ controller: 'Lister', error: 'store unavailable', attempt: 1 });
    expect(records.at(-1)).toMatchObject({ failures: 3, failingForMs: 500 + 750 + 1125 });
  });

  it('should log a watch overrun once and its recovery once', async () => {
    const { logger, records } = memoryLogger('info');
    h = harness({ history: { initialCapacity: 8, maxCapacity: 8, gap: 1 }, logger });
    h.runtime.register(
      defineController({
        name: 'Reader',
        inputs: [input.weak(Ints)],
        outputs: [],
        reconcile() {},
      }),
    );
    await h.runtime.start();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(h.state.create(Ints.make(`burst-${i}`, { value: i })));
    await Promise.all(writes);
    await h.runtime.settled();
    expect(h.runtime.metrics().kinds[`${Ints.type}(default)`]!.relists).toBe(1);
    expect(shown(records)).toEqual(['40 watch failed: re-listing the kind', '30 watch recovered']);
    expect(records[0]).toMatchObject({ type: Ints.type, error: expect.stringMatching(/overrun/i) });
  });

  it('should log a failing runtime task once per streak, and once when tasks run again', async () => {
    const { logger, records } = memoryLogger('info');
    const clock = createVirtualClock();
    const inner = createState({ clock });
    let corrupt = false;
    // A store that hands the runtime broken events: the fan-out task that reads them throws.
    const state: State = {
      ...inner,
      watchKindAggregated: (kind, options) =>
        inner
          .watchKindAggregated(kind, options)
          .pipe(
            map((batch) =>
              corrupt && batch.every((e) => e.type === 'created')
                ? batch.map((e) => ({ ...e, resource: null as never }))
                : batch,
            ),
          ),
    };
    const runtime = createRuntime({ state, clock, logger, random: () => 0.5 });
    h = { clock, state, runtime, open: () => 0 };
    runtime.register(
      defineController({
        name: 'ById',
        inputs: [input.weak(Ints, { id: 'watched' })],
        outputs: [],
        reconcile() {},
      }),
    );
    await runtime.start();
    await runtime.settled();
    corrupt = true;
    for (let i = 0; i < 5; i++) {
      await inner.create(Ints.make(`bad-${i}`, { value: i }));
      await runtime.settled();
    }
    corrupt = false;
    await inner.create(Ints.make('watched', { value: 1 }));
    await runtime.settled();
    expect(shown(records)).toEqual(['50 runtime task failed', '30 runtime tasks recovered']);
    expect(records[0]).toMatchObject({ task: `deliver ${Ints.type}(default)`, err: { type: 'TypeError' } });
    expect(records[1]).toMatchObject({ failures: 5 });
  });

  it('should log a throwing experimental_onReconcile hook once per streak', async () => {
    const { logger, records } = memoryLogger('info');
    let throws = true;
    h = harness({
      logger,
      experimental_onReconcile: () => {
        if (throws) throw new Error('invariant broken');
      },
    });
    h.runtime.register(
      defineController({ name: 'Watched', inputs: [input.weak(Ints)], outputs: [], reconcile() {} }),
    );
    await h.runtime.start();
    for (let i = 0; i < 5; i++) {
      await h.state.create(Ints.make(`i${i}`, { value: i }));
      await h.runtime.settled();
    }
    throws = false;
    await h.state.create(Ints.make('last', { value: 0 }));
    await h.runtime.settled();
    expect(shown(records)).toEqual([
      '50 experimental_onReconcile threw',
      '30 experimental_onReconcile recovered',
    ]);
    expect(records[0]).toMatchObject({ error: 'invariant broken' });
  });
});
