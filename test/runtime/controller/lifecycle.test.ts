import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  createState,
  defineController,
  defineQController,
  input,
  isRegistrationError,
  output,
  type RuntimeScheduler,
  type RuntimeTask,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import {
  type Harness,
  harness,
  Ints,
  memoryLogger,
  Sentences,
  Strs,
  Sums,
  stage,
  values,
} from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const noop = defineController({ name: 'Noop', inputs: [], outputs: [], reconcile() {} });

describe('runtime: registration', () => {
  it('should refuse a duplicate name, a second exclusive writer, an input declared twice, and malformed definitions', () => {
    h = harness();
    const { runtime } = h;
    runtime.register(
      defineController({
        name: 'A',
        inputs: [input.weak(Ints)],
        outputs: [output.exclusive(Strs)],
        reconcile() {},
      }),
    );
    runtime.register(
      defineController({ name: 'S1', inputs: [], outputs: [output.shared(Sums)], reconcile() {} }),
    );
    const attempts: [string, () => void, RegExp][] = [
      [
        'duplicate name',
        () => runtime.register({ ...noop, name: 'A' }),
        /controller "A": a controller with this name is already registered/,
      ],
      [
        'second exclusive writer',
        () =>
          runtime.register(
            defineController({ name: 'B', inputs: [], outputs: [output.exclusive(Strs)], reconcile() {} }),
          ),
        /controller "B": output Strs\.ctrl\.test\.converge\.dev is already written exclusively by controller "A"/,
      ],
      [
        'shared next to exclusive',
        () =>
          runtime.register(
            defineController({ name: 'C', inputs: [], outputs: [output.shared(Strs)], reconcile() {} }),
          ),
        /already written exclusively by controller "A"/,
      ],
      [
        'exclusive next to shared',
        () =>
          runtime.register(
            defineController({ name: 'D', inputs: [], outputs: [output.exclusive(Sums)], reconcile() {} }),
          ),
        /cannot be exclusive: it is a shared output of "S1"/,
      ],
      [
        'input declared twice',
        () =>
          runtime.register(
            defineController({
              name: 'E',
              inputs: [input.weak(Ints), input.destroyReady(Ints)],
              outputs: [],
              reconcile() {},
            }),
          ),
        /controller "E": input Ints\.ctrl\.test\.converge\.dev\(default\) is declared twice/,
      ],
      [
        'queue input on a full controller',
        () =>
          runtime.register(
            defineController({
              name: 'F',
              inputs: [input.primary(Ints)] as never,
              outputs: [],
              reconcile() {},
            }),
          ),
        /input "primary" is not allowed for a full-reconcile controller/,
      ],
      [
        'queue controller without primary',
        () =>
          runtime.register(
            defineQController({
              name: 'G',
              inputs: [input.mapped(Ints, () => [])],
              outputs: [],
              reconcile() {},
            }),
          ),
        /needs at least one input.primary/,
      ],
      [
        'bad concurrency',
        () =>
          runtime.register(
            defineQController({
              name: 'H',
              inputs: [input.primary(Ints)],
              outputs: [],
              concurrency: 0,
              reconcile() {},
            }),
          ),
        /concurrency must be a positive integer/,
      ],
      [
        'not a definition',
        () => runtime.register({ name: 'I', reconcile() {} } as never),
        /use defineController/,
      ],
      ['empty name', () => runtime.register({ ...noop, name: '' }), /name must be a non-empty string/],
      [
        'output declared twice',
        () =>
          runtime.register(
            defineController({
              name: 'J',
              inputs: [],
              outputs: [output.shared(Sums), output.shared(Sums)],
              reconcile() {},
            }),
          ),
        /output Sums\.ctrl\.test\.converge\.dev is declared twice/,
      ],
      [
        'input without a definition',
        () =>
          runtime.register(
            defineController({
              name: 'K',
              inputs: [input.weak(undefined as never)],
              outputs: [],
              reconcile() {},
            }),
          ),
        /input weak needs a resource definition/,
      ],
    ];
    for (const [what, fn, message] of attempts) {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(isRegistrationError(error), what).toBe(true);
      expect((error as Error).message, what).toMatch(message);
    }
    // Nothing of the refused controllers was recorded.
    expect(runtime.dependencyGraph().controllers).toEqual(['A', 'S1']);
  });

  it('should describe the dependency graph as edges, DOT and Mermaid', () => {
    h = harness();
    const { runtime } = h;
    runtime.register(stage('IntToStr', Ints, Strs, String));
    runtime.register(
      defineQController({
        name: 'Q',
        inputs: [
          input.primary(Strs),
          input.mappedDestroyReady(Sentences, () => null, { namespace: 'other' }),
        ],
        outputs: [output.shared(Sums)],
        reconcile() {},
      }),
    );
    const graph = runtime.dependencyGraph();
    expect(graph.controllers).toEqual(['IntToStr', 'Q']);
    expect(graph.types).toEqual([Ints.type, Sentences.type, Strs.type, Sums.type]);
    expect(graph.edges.map((e) => `${e.controller} ${e.edgeType} ${e.type} ${e.namespace ?? '*'}`)).toEqual([
      `IntToStr inputStrong ${Ints.type} default`,
      `IntToStr outputExclusive ${Strs.type} *`,
      `IntToStr inputDestroyReady ${Strs.type} default`,
      `Q inputMappedDestroyReady ${Sentences.type} other`,
      `Q inputPrimary ${Strs.type} default`,
      `Q outputShared ${Sums.type} *`,
    ]);
    const dot = graph.toDot();
    expect(dot).toContain(`"t:${Ints.type}" -> "c:IntToStr" [label="strong", style=bold];`);
    expect(dot).toContain(`"c:IntToStr" -> "t:${Strs.type}" [label="exclusive", style=bold];`);
    expect(dot).toContain(`[label="mappedDestroyReady other", style=dotted]`);
    const mermaid = graph.toMermaid();
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    expect(mermaid).toContain('c0 ==>|"exclusive"| t2');
    expect(mermaid).toContain('t1 -.->|"mappedDestroyReady other"| c1');
  });
});

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
    runtime.register(stage('IntToStr', Ints, Strs, (v) => `v${String(v)}`));
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

  it('should count reconciles, errors, restarts, queue depth and events, also as Prometheus text', async () => {
    h = harness();
    const { runtime, clock, state } = h;
    let n = 0;
    runtime.register(
      defineController({
        name: 'Counted',
        inputs: [input.weak(Ints)],
        outputs: [],
        reconcile() {
          if (++n === 2) throw new Error('second run fails');
        },
      }),
    );
    runtime.register(
      defineQController({
        name: 'QCounted',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile: (_ctx, p) => {
          if (p.id === 'b') throw new Error('b fails');
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    await state.create(Ints.make('a', { value: 1 }));
    await state.create(Ints.make('b', { value: 2 }));
    await runtime.settled();
    await clock.advance(500);
    await runtime.settled();
    const m = runtime.metrics();
    expect(m.controllers.Counted).toMatchObject({
      reconciles: 3,
      errors: 1,
      restarts: 1,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(m.controllers.Counted!.lastDurationMs).toBe(0);
    expect(m.controllers.QCounted).toMatchObject({
      reconciles: 3,
      errors: 2,
      restarts: 1,
      queueDepth: 1,
      inFlight: 0,
    });
    expect(m.kinds[`${Ints.type}(default)`]!.events).toBe(2);
    const text = m.toPrometheus();
    expect(text).toContain('# TYPE converge_controller_reconciles_total counter');
    expect(text).toContain('converge_controller_reconciles_total{controller="Counted"} 3');
    expect(text).toContain('converge_controller_errors_total{controller="QCounted"} 2');
    expect(text).toContain('converge_controller_queue_depth{controller="QCounted"} 1');
    expect(text).toContain(`converge_kind_events_total{namespace="default",type="${Ints.type}"} 2`);
  });
});
