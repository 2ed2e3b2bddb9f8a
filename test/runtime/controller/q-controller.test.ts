import { afterEach, describe, expect, it } from 'vitest';
import {
  defineQController,
  input,
  isAccessError,
  isNotFoundError,
  output,
  type Pointer,
  type QReconcileContext,
} from '../../../src/index.js';
import { type Harness, harness, Ints, Sentences, Strs, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

/** Writes Strs(id) = value of Ints(id), or removes it when the Int is gone, as a queue controller. */
async function mirror(ctx: QReconcileContext, p: Pointer): Promise<void> {
  let source: Awaited<ReturnType<typeof ctx.get<typeof Ints>>>;
  try {
    source = await ctx.get(Ints.pointer(p.id, p.namespace));
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
    await ctx.teardownAndDestroy(Strs.pointer(p.id));
    return;
  }
  await ctx.modify(Strs.make(p.id, { value: '' }), (d) => {
    d.spec.value = String(source.spec.value);
  });
}

describe('runtime: queue controllers', () => {
  it('should reconcile existing and changed primaries one item at a time, deduplicated', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Ints.make('pre', { value: 1 }));
    const seen: string[] = [];
    let release: (() => void) | undefined;
    runtime.register(
      defineQController({
        name: 'Mirror',
        inputs: [input.primary(Ints)],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx, p) {
          seen.push(p.id);
          if (p.id === 'slow') await new Promise<void>((r) => (release = r));
          await mirror(ctx, p);
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(seen).toEqual(['pre']);
    await state.create(Ints.make('a', { value: 2 }));
    await state.create(Ints.make('b', { value: 3 }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=2', 'b=3', 'pre=1']);

    // Many changes of one item while it waits in the queue (behind a slow item) collapse into one reconcile.
    seen.length = 0;
    await state.create(Ints.make('slow', { value: 0 }));
    while (release === undefined) await new Promise((r) => setImmediate(r));
    let a = await state.get(Ints.pointer('a'));
    for (let i = 0; i < 20; i++) a = await state.update({ ...a, spec: { value: 100 + i } });
    release();
    await runtime.settled();
    expect(seen).toEqual(['slow', 'a']);
    expect((await state.get(Strs.pointer('a'))).spec.value).toBe('119');

    await state.destroy(Ints.pointer('b'));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=119', 'pre=1', 'slow=0']);
  });

  it('should requeue an item after requeueAfter on the virtual clock', async () => {
    h = harness();
    const { state, runtime, clock } = h;
    const at: Record<string, number[]> = {};
    const start = clock.now();
    runtime.register(
      defineQController({
        name: 'Poller',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile(ctx, p) {
          const times = at[p.id] ?? [];
          at[p.id] = times;
          times.push(clock.now() - start);
          return times.length < 3 ? ctx.requeueAfter(p.id === 'fast' ? 1_000 : 5_000) : undefined;
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('fast', { value: 1 }));
    await state.create(Ints.make('slow', { value: 2 }));
    await runtime.settled();
    await clock.advance(20_000);
    await runtime.settled();
    expect(at).toEqual({ fast: [0, 1_000, 2_000], slow: [0, 5_000, 10_000] });
    expect(runtime.metrics().controllers.Poller!.requeues).toBe(4);
    expect(clock.pending()).toBe(0);
  });

  it('should retry a failing item with its own backoff while the other items proceed', async () => {
    h = harness();
    const { state, runtime, clock } = h;
    const attempts: Record<string, number> = {};
    const failUntil = 3;
    runtime.register(
      defineQController({
        name: 'Picky',
        inputs: [input.primary(Ints)],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx, p) {
          attempts[p.id] = (attempts[p.id] ?? 0) + 1;
          if (p.id === 'bad' && attempts[p.id]! <= failUntil)
            throw new Error(`bad attempt ${attempts[p.id]}`);
          await mirror(ctx, p);
        },
      }),
    );
    await runtime.start();
    for (const id of ['ok1', 'bad', 'ok2']) await state.create(Ints.make(id, { value: id.length }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['ok1=3', 'ok2=3']);
    await clock.advance(499);
    await runtime.settled();
    expect(attempts.bad).toBe(1);
    expect(runtime.metrics().controllers.Picky!.failures).toBe(1);
    await clock.advance(1);
    await runtime.settled();
    expect(attempts.bad).toBe(2);
    await clock.advance(750 + 1_125);
    await runtime.settled();
    expect(attempts).toEqual({ ok1: 1, bad: 4, ok2: 1 });
    expect(await values(state, Strs)).toEqual(['bad=3', 'ok1=3', 'ok2=3']);
    expect(runtime.metrics().controllers.Picky).toMatchObject({
      errors: 3,
      reconciles: 6,
      queueDepth: 0,
      failures: 0,
    });
  });

  it('should run up to `concurrency` items at once and never one key concurrently with itself', async () => {
    h = harness();
    const { state, runtime } = h;
    const active = new Set<string>();
    let maxActive = 0;
    const overlaps: string[] = [];
    const runs: Record<string, number> = {};
    runtime.register(
      defineQController({
        name: 'Parallel',
        inputs: [input.primary(Ints)],
        outputs: [],
        concurrency: 3,
        async reconcile(_ctx, p) {
          if (active.has(p.id)) overlaps.push(p.id);
          active.add(p.id);
          runs[p.id] = (runs[p.id] ?? 0) + 1;
          maxActive = Math.max(maxActive, active.size);
          for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
          active.delete(p.id);
        },
      }),
    );
    await runtime.start();
    for (let i = 0; i < 12; i++) await state.create(Ints.make(`k${i}`, { value: i }));
    // Keep changing one key while it is being reconciled.
    for (let round = 0; round < 5; round++) {
      const k0 = await state.get(Ints.pointer('k0'));
      await state.update({ ...k0, spec: { value: 1000 + round } });
      await new Promise((r) => setImmediate(r));
    }
    await runtime.settled();
    expect(overlaps).toEqual([]);
    expect(maxActive).toBe(3);
    expect(runs.k0).toBeGreaterThan(1);
    expect(Object.keys(runs)).toHaveLength(12);
  });

  it('should map changes of mapped inputs to primary items, and destroy-ready ones only when ready', async () => {
    h = harness();
    const { state, runtime } = h;
    const seen: string[] = [];
    runtime.register(
      defineQController({
        name: 'Mapper',
        inputs: [
          input.primary(Ints),
          input.mapped(Sentences, (s) => Ints.pointer(s.metadata.labels.int ?? 'none')),
          input.mappedDestroyReady(Strs, (s) => [Ints.pointer(s.metadata.id)]),
        ],
        outputs: [],
        reconcile(_ctx, p) {
          seen.push(p.id);
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('x', { value: 1 }));
    await runtime.settled();
    expect(seen).toEqual(['x']);
    await state.create(Sentences.make('s1', { value: 'about x' }, { labels: { int: 'x' } }));
    await runtime.settled();
    expect(seen).toEqual(['x', 'x']);
    await state.create(Strs.make('x', { value: 'str' }, { finalizers: ['holder'] }));
    await state.teardown(Strs.pointer('x'));
    await runtime.settled();
    expect(seen).toEqual(['x', 'x']);
    await state.removeFinalizer(Strs.pointer('x'), 'holder');
    await runtime.settled();
    expect(seen).toEqual(['x', 'x', 'x']);
    // A map that points outside the primary inputs fails that map job, counted as an error.
    await state.create(Sentences.make('s2', { value: 'about y' }, { labels: { int: 'y' } }));
    await runtime.settled();
    expect(seen).toEqual(['x', 'x', 'x', 'y']);
    const errors: unknown[] = [];
    runtime.register(
      defineQController({
        name: 'BadMapper',
        inputs: [input.primary(Ints), input.mapped(Sentences, (s) => Strs.pointer(s.metadata.id))],
        outputs: [],
        reconcile() {},
      }),
    );
    await runtime.settled();
    const s1 = await state.get(Sentences.pointer('s1'));
    await state.update({ ...s1, spec: { value: 'changed' } });
    await runtime.settled();
    const m = runtime.metrics().controllers.BadMapper!;
    expect(m.errors).toBe(1);
    errors.push(m.lastError);
    expect(isAccessError(errors[0])).toBe(true);
    expect((errors[0] as Error).message).toMatch(/not a primary input of controller "BadMapper"/);
  });

  it('should abort a long reconcile when its item tears down, then reconcile it again', async () => {
    const outcomes: string[] = [];
    h = harness({ experimental_onReconcile: (e) => e.outcome && outcomes.push(`${e.key} ${e.outcome}`) });
    const { state, runtime } = h;
    const log: string[] = [];
    runtime.register(
      defineQController({
        name: 'Holder',
        inputs: [input.primary(Ints)],
        outputs: [],
        async reconcile(ctx, p) {
          const r = await ctx.get(Ints.pointer(p.id)).catch((error: unknown) => {
            if (isNotFoundError(error)) return undefined;
            throw error;
          });
          if (r === undefined) {
            log.push(`gone ${p.id}`);
            return;
          }
          if (r.metadata.phase === 'tearingDown') {
            log.push(`cleanup ${p.id}`);
            await ctx.removeFinalizer(p, 'Holder');
            return;
          }
          if (!r.metadata.finalizers.includes('Holder')) await ctx.addFinalizer(p, 'Holder');
          log.push(`long work on ${p.id}`);
          // Work that only ends when cancelled.
          await new Promise<void>((_, reject) => {
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
          });
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('job', { value: 1 }));
    // The finalizer write re-queued the item while it ran; let it settle into the long wait.
    while (runtime.metrics().controllers.Holder!.inFlight === 0 || log.length < 1) {
      await new Promise((r) => setImmediate(r));
    }
    const destroyed = state.teardownAndDestroy(Ints.pointer('job'));
    await destroyed;
    await runtime.settled();
    expect(log[0]).toBe('long work on job');
    expect(log.slice(-2)).toEqual(['cleanup job', 'gone job']);
    await expect(state.get(Ints.pointer('job'))).rejects.toThrow(/not found/);
    const m = runtime.metrics().controllers.Holder!;
    expect(m.errors).toBe(0);
    expect(m.inFlight).toBe(0);
    expect(outcomes[0]).toBe(`${Ints.type}(default/job) aborted`);
    expect(outcomes.slice(1).every((o) => o.endsWith('success'))).toBe(true);
  });

  it('should queue every existing resource of a primary input added at run time', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Sentences.make('s1', { value: 'one' }));
    await state.create(Sentences.make('s2', { value: 'two' }));
    const seen: string[] = [];
    runtime.register(
      defineQController({
        name: 'Grower',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile(ctx, p) {
          seen.push(`${p.type === Ints.type ? 'int' : 'sentence'}:${p.id}`);
          if (p.id === 'grow') ctx.updateInputs([input.primary(Ints), input.primary(Sentences)]);
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('grow', { value: 1 }));
    await runtime.settled();
    expect(seen.sort()).toEqual(['int:grow', 'sentence:s1', 'sentence:s2']);
    await state.create(Sentences.make('s3', { value: 'three' }));
    await runtime.settled();
    expect(seen).toContain('sentence:s3');
  });
});
