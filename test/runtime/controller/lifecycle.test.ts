import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  createState,
  defineController,
  defineQController,
  input,
  output,
  type RuntimeScheduler,
  type RuntimeTask,
  transformController,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { type Harness, harness, Ints, memoryLogger, Sentences, Strs, stage, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const noop = defineController({ name: 'Noop', inputs: [], outputs: [], reconcile() {} });

describe('runtime: lifecycle', () => {
  it('should stop gracefully: abort in-flight signals, wait for them, leave no timer or subscription', async () => {
    h = harness();
    const { state, runtime, clock, open } = h;
    let aborted: unknown;
    let returned = false;
    let runsAfterStop = 0;
    let stopped = false;
    runtime.register(
      defineController({
        name: 'Long',
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile(ctx) {
          if (stopped) runsAfterStop++;
          await new Promise<void>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = ctx.signal.reason;
              resolve();
            });
          });
          await new Promise((r) => setImmediate(r));
          returned = true;
          ctx.signal.throwIfAborted();
        },
      }),
    );
    runtime.register(
      defineController({
        name: 'Requeuer',
        inputs: [],
        outputs: [],
        reconcile: (ctx) => ctx.requeueAfter(10_000),
      }),
    );
    runtime.register(
      defineController({
        name: 'Failer',
        inputs: [],
        outputs: [],
        reconcile() {
          throw new Error('always');
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('x', { value: 1 }));
    await new Promise((r) => setImmediate(r));
    expect(open()).toBe(1);
    expect(clock.pending()).toBe(2);
    stopped = true;
    await runtime.stop();
    expect(returned).toBe(true);
    expect((aborted as DOMException).name).toBe('AbortError');
    expect(open()).toBe(0);
    expect(clock.pending()).toBe(0);
    await state.create(Ints.make('y', { value: 2 }));
    await clock.advance(100_000);
    await runtime.settled();
    expect(runsAfterStop).toBe(0);
    expect(runtime.metrics().controllers.Long!.lastOutcome).toBe('aborted');
    expect(() => runtime.register({ ...noop, name: 'Late' })).toThrow(/the runtime is stopped/);
    await expect(runtime.start()).rejects.toThrow(/cannot start again/);
  });

  it('should settle only once requeues due now have run, and advance through requeues on the virtual clock', async () => {
    h = harness();
    const { runtime, clock } = h;
    const ticks: number[] = [];
    const start = clock.now();
    runtime.register(
      defineController({
        name: 'Ticker',
        inputs: [],
        outputs: [],
        reconcile(ctx) {
          ticks.push(clock.now() - start);
          return ticks.length < 4 ? ctx.requeueAfter(1_000) : undefined;
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(ticks).toEqual([0]);
    await clock.advance(2_500);
    await runtime.settled();
    expect(ticks).toEqual([0, 1_000, 2_000]);
    await clock.advance(10_000);
    await runtime.settled();
    expect(ticks).toEqual([0, 1_000, 2_000, 3_000]);
    expect(runtime.metrics().controllers.Ticker!.requeues).toBe(3);
    expect(clock.pending()).toBe(0);
  });

  it('should treat requeueAfter(0) as runnable now, so settled() waits for it without the clock moving', async () => {
    h = harness();
    const { runtime, clock, state } = h;
    let full = 0;
    const items: string[] = [];
    runtime.register(
      defineController({
        name: 'Again',
        inputs: [],
        outputs: [],
        reconcile: (ctx) => (++full < 4 ? ctx.requeueAfter(0) : undefined),
      }),
    );
    runtime.register(
      defineQController({
        name: 'QAgain',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile(ctx, p) {
          items.push(p.id);
          return items.length < 3 ? ctx.requeueAfter(0) : undefined;
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('x', { value: 1 }));
    await runtime.settled();
    expect(full).toBe(4);
    expect(items).toEqual(['x', 'x', 'x']);
    expect(clock.pending()).toBe(0);
  });

  it('should reject settled() after its timeout when a controller never stops running', async () => {
    h = harness();
    const { runtime } = h;
    runtime.register(
      defineController({
        name: 'Stuck',
        inputs: [],
        outputs: [],
        reconcile: (ctx) =>
          new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())),
      }),
    );
    await runtime.start();
    await expect(runtime.settled({ timeout: 20 })).rejects.toThrow(
      /did not settle within 20 ms .*busy controllers: Stuck/,
    );
  });

  it('should survive a watch overrun by re-listing the kind, losing nothing', async () => {
    const { logger, records } = memoryLogger('warn');
    h = harness({ history: { initialCapacity: 8, maxCapacity: 8, gap: 1 }, logger });
    const { state, runtime } = h;
    runtime.register(
      transformController({
        name: 'IntToStr',
        inputFinalizers: true,
        input: Ints,
        output: Strs,
        map: (i) => Strs.make(i.metadata.id, { value: `v${i.spec.value}` }),
      }),
    );
    await runtime.start();
    for (let i = 0; i < 20; i++) await state.create(Ints.make(`keep-${i}`, { value: i }));
    await runtime.settled();
    // Thousands of writes in one turn: far more than the history holds before the watch reads it.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 2_000; i++) writes.push(state.create(Ints.make(`burst-${i}`, { value: i })));
    writes.push(state.teardown(Ints.pointer('keep-3')));
    await Promise.all(writes);
    await runtime.settled();
    const strs = await state.list(Strs.kind());
    expect(strs).toHaveLength(2_000 + 19);
    expect(strs.find((s) => s.metadata.id === 'burst-1999')?.spec.value).toBe('v1999');
    const kinds = runtime.metrics().kinds;
    expect(kinds[`${Ints.type}(default)`]!.relists).toBeGreaterThan(0);
    expect(records.some((r) => r.msg === 'watch failed: re-listing the kind' && r.type === Ints.type)).toBe(
      true,
    );
    // It keeps working afterwards.
    const k0 = await state.get(Ints.pointer('keep-0'));
    await state.update({ ...k0, spec: { value: 1000 } });
    await runtime.settled();
    expect((await state.get(Strs.pointer('keep-0'))).spec.value).toBe('v1000');
  });

  /** A queue controller recording every id it is handed, and which of those were gone by then. */
  function perItem() {
    const seen = new Set<string>();
    const gone = new Set<string>();
    const definition = defineQController({
      name: 'PerItem',
      inputs: [input.primary(Ints)],
      outputs: [],
      async reconcile(ctx, p) {
        seen.add(p.id);
        if (!(await ctx.list(Ints.kind())).some((r) => r.metadata.id === p.id)) gone.add(p.id);
      },
    });
    return { definition, seen, gone };
  }

  /** Destroys old-0..4 and creates 1,000 more in one burst, which overruns a history of 8, then settles. */
  async function burstPastHistory(harnessed: Harness): Promise<void> {
    const { state, runtime } = harnessed;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) writes.push(state.destroy(Ints.pointer(`old-${i}`)));
    for (let i = 0; i < 1_000; i++) writes.push(state.create(Ints.make(`new-${i}`, { value: i })));
    await Promise.all(writes);
    await runtime.settled();
    expect(runtime.metrics().kinds[`${Ints.type}(default)`]!.relists).toBeGreaterThan(0);
  }

  it('should hand a queue controller every id a watch overrun hid, destroyed ones included', async () => {
    h = harness({ history: { initialCapacity: 8, maxCapacity: 8, gap: 1 } });
    const { state, runtime } = h;
    for (let i = 0; i < 10; i++) await state.create(Ints.make(`old-${i}`, { value: i }));
    const { definition, seen, gone } = perItem();
    runtime.register(definition);
    await runtime.start();
    await runtime.settled();
    seen.clear();
    await burstPastHistory(h);
    expect([...gone].sort()).toEqual(['old-0', 'old-1', 'old-2', 'old-3', 'old-4']);
    expect(seen.size).toBe(1_005);
    expect(seen.has('old-7')).toBe(false);
  });

  it('should hand ids hidden by an overrun to a queue controller registered after a full one watched the kind', async () => {
    h = harness({ history: { initialCapacity: 8, maxCapacity: 8, gap: 1 } });
    const { state, runtime } = h;
    let fullRuns = 0;
    runtime.register(
      defineController({
        name: 'Counter',
        inputs: [input.weak(Ints)],
        outputs: [],
        reconcile() {
          fullRuns++;
        },
      }),
    );
    await runtime.start();
    for (let i = 0; i < 10; i++) await state.create(Ints.make(`old-${i}`, { value: i }));
    await runtime.settled();
    // The kind's watch exists already, keeping no per-id values (only a full controller read it).
    const { definition, seen, gone } = perItem();
    runtime.register(definition);
    await runtime.settled();
    expect(seen.size).toBe(10);
    seen.clear();
    const runsBefore = fullRuns;
    await burstPastHistory(h);
    expect([...gone].sort()).toEqual(['old-0', 'old-1', 'old-2', 'old-3', 'old-4']);
    expect(seen.size).toBe(1_005);
    expect(fullRuns).toBeGreaterThan(runsBefore);
  });

  it('should keep its guarantees and converge whatever order a custom scheduler runs tasks in', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      let s = seed;
      const random = () => {
        s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
        return s / 2_147_483_648;
      };
      const buffered: RuntimeTask[] = [];
      const labels: string[] = [];
      let draining = false;
      const scheduler: RuntimeScheduler = {
        schedule(task) {
          buffered.push(task);
          if (draining) return;
          draining = true;
          setImmediate(function step() {
            if (buffered.length === 0) {
              draining = false;
              return;
            }
            const [task] = buffered.splice(Math.floor(random() * buffered.length), 1);
            labels.push(task!.label);
            task!.run();
            setImmediate(step);
          });
        },
        pending: () => buffered.length,
      };
      const running = new Map<string, number>();
      const violations: string[] = [];
      const clock = createVirtualClock();
      const state = createState({ clock });
      const runtime = createRuntime({
        state,
        clock,
        random,
        experimental_scheduler: scheduler,
        experimental_onReconcile(e) {
          const key = `${e.controller}/${e.key ?? ''}`;
          const n = (running.get(key) ?? 0) + (e.phase === 'start' ? 1 : -1);
          if (n > 1) violations.push(key);
          running.set(key, n);
        },
      });
      runtime.register(stage('IntToStr', Ints, Strs, (v) => `#${String(v)}`));
      runtime.register(stage('StrToSentence', Strs, Sentences, (v) => `${String(v)}!`));
      await runtime.start();
      for (let i = 0; i < 12; i++) await state.create(Ints.make(`n${i}`, { value: i }));
      const n4 = await state.get(Ints.pointer('n4'));
      await state.update({ ...n4, spec: { value: 44 } });
      const gone = state.teardownAndDestroy(Ints.pointer('n7'));
      await runtime.settled();
      await gone;
      await runtime.settled();
      expect(violations, `seed ${seed}`).toEqual([]);
      expect(buffered, `seed ${seed}`).toHaveLength(0);
      const expected = Array.from({ length: 12 }, (_, i) => `n${i}`)
        .filter((id) => id !== 'n7')
        .sort()
        .map((id) => `${id}=#${id === 'n4' ? 44 : id.slice(1)}!`);
      expect(await values(state, Sentences), `seed ${seed}`).toEqual(expected);
      expect(labels.some((l) => l.startsWith('deliver '))).toBe(true);
      expect(labels.some((l) => l === 'reconcile StrToSentence')).toBe(true);
      await runtime.stop();
    }
  });

  it('should limit the rate of writes with a token bucket on the clock', async () => {
    h = harness({ writeRateLimit: { perSecond: 10, burst: 2 } });
    const { runtime, clock, state } = h;
    const writtenAt: number[] = [];
    const start = clock.now();
    runtime.register(
      defineController({
        name: 'Writer',
        inputs: [],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx) {
          for (let i = 0; i < 6; i++) {
            await ctx.create(Strs.make(`w${i}`, { value: String(i) }));
            writtenAt.push(clock.now() - start);
          }
        },
      }),
    );
    await runtime.start();
    await clock.advance(1_000);
    await runtime.settled();
    expect(writtenAt).toEqual([0, 0, 100, 200, 300, 400]);
    expect(await state.list(Strs.kind())).toHaveLength(6);
  });
});
