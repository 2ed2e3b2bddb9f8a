import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  createRuntime,
  defineController,
  input,
  type State,
  transformController,
  UnsupportedError,
  type WatchEvent,
} from '../../../src/index.js';
import { type Harness, harness, Ints, memoryLogger, Sentences, Strs, Sums, values } from './fixtures.js';

/** The runtimes a test makes itself fail on purpose: their warn lines are not the test's output. */
const quiet = pino({ level: 'silent' });

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const IntToStr = transformController({
  name: 'IntToStr',
  inputFinalizers: true,
  input: Ints,
  output: Strs,
  map: (i) => (i.spec.value < 0 ? null : Strs.make(`str-${i.metadata.id}`, { value: `#${i.spec.value}` })),
});

/** Holds a finalizer on every Strs resource until told to let go, as a downstream consumer would. */
function holder(release: Set<string>) {
  return defineController({
    name: 'Holder',
    inputs: [input.strong(Strs), input.weak(Sentences)],
    outputs: [],
    async reconcile(ctx) {
      for (const s of await ctx.list(Strs.kind())) {
        const p = Strs.pointer(s.metadata.id);
        if (s.metadata.phase === 'tearingDown') {
          if (release.has(s.metadata.id)) await ctx.removeFinalizer(p, 'Holder');
        } else if (!s.metadata.finalizers.includes('Holder')) {
          await ctx.addFinalizer(p, 'Holder');
        }
      }
    },
  });
}

describe('transformController', () => {
  it('should map every input to its output with a mapped id, holding its finalizer on the input', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(IntToStr);
    await runtime.start();
    for (let i = 1; i <= 3; i++) await state.create(Ints.make(`i${i}`, { value: i }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['str-i1=#1', 'str-i2=#2', 'str-i3=#3']);
    for (const r of await state.list(Ints.kind())) expect(r.metadata.finalizers).toEqual(['IntToStr']);
    expect((await state.get(Strs.pointer('str-i1'))).metadata.owner).toBe('IntToStr');

    const i2 = await state.get(Ints.pointer('i2'));
    await state.update({ ...i2, spec: { value: 22 } });
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['str-i1=#1', 'str-i2=#22', 'str-i3=#3']);

    // An unchanged input writes nothing.
    const before = (await state.get(Strs.pointer('str-i1'))).metadata.version;
    const i1 = await state.get(Ints.pointer('i1'));
    await state.update({ ...i1, metadata: { ...i1.metadata, labels: { touched: 'yes' } } });
    await runtime.settled();
    expect((await state.get(Strs.pointer('str-i1'))).metadata.version).toBe(before);

    // map → null: the output goes and the finalizer is released.
    const i3 = await state.get(Ints.pointer('i3'));
    await state.update({ ...i3, spec: { value: -1 } });
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['str-i1=#1', 'str-i2=#22']);
    expect((await state.get(Ints.pointer('i3'))).metadata.finalizers).toEqual([]);
  });

  it('should tear down and destroy the output before releasing a tearing-down input', async () => {
    h = harness();
    const { state, runtime } = h;
    const release = new Set<string>();
    runtime.register(IntToStr);
    runtime.register(holder(release));
    await runtime.start();
    await state.create(Ints.make('x', { value: 5 }));
    await runtime.settled();
    expect((await state.get(Strs.pointer('str-x'))).metadata.finalizers).toEqual(['Holder']);

    const order: string[] = [];
    const watches = [
      state.watch(Ints.pointer('x')).subscribe((e: WatchEvent) => {
        if (e.type === 'updated' && e.resource.metadata.finalizers.length === 0) order.push('input released');
        if (e.type === 'destroyed') order.push('input destroyed');
      }),
      state.watch(Strs.pointer('str-x')).subscribe((e: WatchEvent) => {
        if (
          e.type === 'updated' &&
          e.resource.metadata.phase === 'tearingDown' &&
          e.old.metadata.phase === 'running'
        ) {
          order.push('output tearing down');
        }
        if (e.type === 'destroyed') order.push('output destroyed');
      }),
    ];
    expect(await state.teardown(Ints.pointer('x'))).toBe(false);
    await runtime.settled();
    // The holder still has its finalizer on the output: the input stays.
    expect((await state.get(Strs.pointer('str-x'))).metadata.phase).toBe('tearingDown');
    expect((await state.get(Ints.pointer('x'))).metadata.finalizers).toEqual(['IntToStr']);
    release.add('str-x');
    await state.create(Sentences.make('poke', { value: 'let go' }));
    await runtime.settled();
    expect((await state.get(Ints.pointer('x'))).metadata.finalizers).toEqual([]);
    await state.destroy(Ints.pointer('x'));
    await runtime.settled();
    for (const w of watches) w.unsubscribe();
    expect(order).toEqual(['output tearing down', 'output destroyed', 'input released', 'input destroyed']);
  });

  it('should clean up outputs whose input is gone, and recreate an output whose old generation was tearing down', async () => {
    h = harness();
    const { state, runtime } = h;
    // Left over from an earlier life of the controller: no input maps to it.
    await state.create(Strs.make('str-orphan', { value: 'old' }), { owner: 'IntToStr' });
    await state.create(Strs.make('str-users', { value: 'mine' }));
    await state.create(Ints.make('y', { value: 1 }));
    // The output of y exists but is tearing down (an old generation).
    await state.create(Strs.make('str-y', { value: 'stale' }), { owner: 'IntToStr' });
    await state.teardown(Strs.pointer('str-y'), { owner: 'IntToStr' });
    runtime.register(IntToStr);
    await runtime.start();
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['str-users=mine', 'str-y=#1']);
    expect((await state.get(Strs.pointer('str-y'))).metadata.phase).toBe('running');
  });

  it('should propagate updates and teardowns through a three-stage transform chain', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(
      transformController({
        name: 'A',
        inputFinalizers: true,
        input: Ints,
        output: Strs,
        map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value * 2) }),
      }),
    );
    runtime.register(
      transformController({
        name: 'B',
        inputFinalizers: true,
        input: Strs,
        output: { definition: Sentences, namespace: 'text' },
        map: (s) => Sentences.make(s.metadata.id, { value: `${s.spec.value}!` }, { namespace: 'text' }),
      }),
    );
    runtime.register(
      transformController({
        name: 'C',
        inputFinalizers: true,
        input: { definition: Sentences, namespace: 'text' },
        output: Sums,
        map: (s) => Sums.make(s.metadata.id, { value: s.spec.value.length }),
      }),
    );
    await runtime.start();
    for (let i = 0; i < 20; i++)
      await state.create(Ints.make(`n${String(i).padStart(2, '0')}`, { value: i * 7 }));
    await runtime.settled();
    expect((await values(state, Sentences, 'text')).slice(0, 3)).toEqual(['n00=0!', 'n01=14!', 'n02=28!']);
    expect(await state.list(Sums.kind())).toHaveLength(20);
    const n19 = await state.get(Ints.pointer('n19'));
    await state.update({ ...n19, spec: { value: 5000 } });
    await runtime.settled();
    expect((await state.get(Sums.pointer('n19'))).spec.value).toBe('10000!'.length);
    const gone = Promise.all(['n03', 'n04'].map((id) => state.teardownAndDestroy(Ints.pointer(id))));
    await runtime.settled();
    await gone;
    await runtime.settled();
    expect(await state.list(Ints.kind())).toHaveLength(18);
    expect(await state.list(Strs.kind())).toHaveLength(18);
    expect(await state.list(Sentences.kind('text'))).toHaveLength(18);
    expect((await state.list(Sums.kind())).map((r) => r.metadata.id)).not.toContain('n03');
    // Every remaining intermediate holds exactly the next stage's finalizer.
    for (const s of await state.list(Strs.kind())) expect(s.metadata.finalizers).toEqual(['B']);
  });

  it('should keep converging the other inputs when map throws for one, and retry it', async () => {
    h = harness();
    const { state, runtime, clock } = h;
    let broken = true;
    runtime.register(
      transformController({
        name: 'Fragile',
        inputFinalizers: true,
        input: Ints,
        output: Strs,
        map: (i) => {
          if (i.metadata.id === 'bad' && broken) throw new Error('cannot map bad');
          return Strs.make(i.metadata.id, { value: String(i.spec.value) });
        },
      }),
    );
    await runtime.start();
    for (const id of ['a', 'bad', 'c']) await state.create(Ints.make(id, { value: id.length }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=1', 'c=1']);
    expect(runtime.metrics().controllers.Fragile!.lastOutcome).toBe('error');
    broken = false;
    await clock.advance(clock.nextDue()! - clock.now());
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=1', 'bad=3', 'c=1']);
  });

  it('should call map again for a changed spec or label, not for a change of finalizers only', async () => {
    h = harness();
    const { state, runtime } = h;
    const calls: string[] = [];
    runtime.register(
      transformController({
        name: 'Labelled',
        inputFinalizers: true,
        input: Ints,
        output: Strs,
        map: (i) => {
          calls.push(`${i.metadata.id}:${i.spec.value}/${i.metadata.labels.tier ?? '-'}`);
          return Strs.make(i.metadata.id, { value: `${i.spec.value}/${i.metadata.labels.tier ?? '-'}` });
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await runtime.settled();
    // Version 2 is the transform's own finalizer write: the result of version 1 still holds.
    expect(calls).toEqual(['a:1/-']);
    expect((await state.get(Ints.pointer('a'))).metadata.version).toBe(2);

    await state.updateWithConflicts(Ints.pointer('a'), (d) => {
      d.metadata.finalizers.push('someone-else');
    });
    await runtime.settled();
    expect(calls).toEqual(['a:1/-']);

    await state.updateWithConflicts(Ints.pointer('a'), (d) => {
      d.metadata.labels.tier = 'gold';
    });
    await runtime.settled();
    expect(calls).toEqual(['a:1/-', 'a:1/gold']);
    expect(await values(state, Strs)).toEqual(['a=1/gold']);

    await state.updateWithConflicts(Ints.pointer('a'), (d) => {
      d.spec.value = 2;
    });
    await runtime.settled();
    expect(calls).toEqual(['a:1/-', 'a:1/gold', 'a:2/gold']);
    expect(await values(state, Strs)).toEqual(['a=2/gold']);
  });

  it('should commit a burst of new inputs in batched transactions, one by one when a batch fails', async () => {
    h = harness();
    const { state, runtime } = h;
    const sizes: number[] = [];
    const faults = { conflictNextBatch: true, maxOps: Number.POSITIVE_INFINITY };
    // The same state, but recording every transaction's size; it fails the first batch as if another
    // writer had changed one of its inputs, and refuses transactions over a size, as etcd refuses
    // more than --max-txn-ops.
    const recording: State = {
      ...state,
      transaction: (ops) => {
        sizes.push(ops.length);
        if (ops.length > faults.maxOps) {
          return Promise.reject(new UnsupportedError(Ints.kind(), `at most ${faults.maxOps} ops`));
        }
        if (ops.length > 2 && faults.conflictNextBatch) {
          faults.conflictNextBatch = false;
          return Promise.reject(new ConflictError(Ints.pointer('i03'), 'changed meanwhile'));
        }
        return state.transaction(ops);
      },
    };
    await runtime.stop();
    const batched = createRuntime({ state: recording, clock: h.clock, random: () => 0.5 });
    h = { ...h, runtime: batched };
    batched.register(IntToStr);

    for (let i = 0; i < 40; i++)
      await state.create(Ints.make(`i${String(i).padStart(2, '0')}`, { value: i }));
    await batched.start();
    await batched.settled();
    // 16 inputs per batch; the failed one goes one by one (2 ops each), the rest stay batched.
    expect(sizes.slice(0, 18)).toEqual([32, ...Array<number>(16).fill(2), 32]);
    expect(sizes.slice(18)).toEqual([16]);
    expect(await state.list(Strs.kind())).toHaveLength(40);
    for (const r of await state.list(Ints.kind())) expect(r.metadata.finalizers).toEqual(['IntToStr']);

    // A backend taking at most 8 ops per transaction: batches shrink until they fit.
    sizes.length = 0;
    faults.maxOps = 8;
    for (let i = 40; i < 80; i++) await state.create(Ints.make(`i${i}`, { value: i }));
    await batched.settled();
    expect(await state.list(Strs.kind())).toHaveLength(80);
    expect(sizes[0]).toBe(32);
    const fitting = sizes.indexOf(8);
    expect(fitting).toBeGreaterThan(0);
    expect(Math.max(...sizes.slice(fitting))).toBeLessThanOrEqual(8);
    for (const r of await state.list(Ints.kind())) expect(r.metadata.finalizers).toEqual(['IntToStr']);
  });

  it('should not run again for the finalizers it put on its own inputs, but for anyone else’s change', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(IntToStr);
    await runtime.start();
    await runtime.settled();
    const runs = () => runtime.metrics().controllers.IntToStr!.reconciles;
    const before = runs();
    for (let i = 1; i <= 5; i++) await state.create(Ints.make(`n${i}`, { value: i }));
    await runtime.settled();
    expect(await state.list(Strs.kind())).toHaveLength(5);
    // One run wrote the five outputs and held the five inputs; those holds woke nothing.
    expect(runs()).toBe(before + 1);

    await state.updateWithConflicts(Ints.pointer('n1'), (d) => {
      d.metadata.finalizers.push('someone-else');
    });
    await runtime.settled();
    expect(runs()).toBe(before + 2);
  });

  it('should reject bad options at once', () => {
    expect(() => transformController({ name: '', input: Ints, output: Strs, map: () => null })).toThrow(
      /name/,
    );
    expect(() =>
      transformController({ name: 'X', input: {} as never, output: Strs, map: () => null }),
    ).toThrow(/input must be a resource definition/);
    expect(() => transformController({ name: 'X', input: Ints, output: Strs, map: 1 as never })).toThrow(
      /map/,
    );
  });
});

describe('transformController: map throwing for a tearing-down input', () => {
  it('should destroy the output first, and log, count and show the error', async () => {
    const { logger, records } = memoryLogger('warn');
    h = harness({ logger });
    const { state, runtime } = h;
    runtime.register(
      transformController({
        name: 'Fragile',
        inputFinalizers: true,
        input: Ints,
        output: Strs,
        map: (i) => {
          if (i.metadata.phase === 'tearingDown') throw new Error('cannot map a leaving input');
          return Strs.make(`s-${i.metadata.id}`, { value: String(i.spec.value) });
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-a=1']);
    await state.teardown(Ints.pointer('a'));
    await runtime.settled();
    // The output went first; the input's hold is released only once it is gone.
    expect(await values(state, Strs)).toEqual([]);
    expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual([]);
    const m = runtime.metrics().controllers.Fragile!;
    expect(m.errors).toBeGreaterThan(0);
    expect(String(m.lastError)).toContain('cannot map a leaving input');
    expect(records.some((r) => r.msg === 'reconcile failed')).toBe(true);
  });

  it('should release a never-mapped input only after every unwanted output is gone', async () => {
    const first = harness();
    await first.state.create(Ints.make('a', { value: 1 }));
    const definition = transformController({
      name: 'Fragile',
      inputFinalizers: true,
      input: Ints,
      output: Strs,
      map: (i) => {
        if (i.metadata.phase === 'tearingDown') throw new Error('cannot map a leaving input');
        return Strs.make(`s-${i.metadata.id}`, { value: String(i.spec.value) });
      },
    });
    first.runtime.register(definition);
    await first.runtime.start();
    await first.runtime.settled();
    await first.runtime.stop();
    await first.state.teardown(Ints.pointer('a'));
    // A new runtime on the same store: it never saw what `a` mapped to.
    h = {
      ...first,
      runtime: createRuntime({ state: first.state, clock: first.clock, random: () => 0.5, logger: quiet }),
    };
    h.runtime.register(definition);
    await h.runtime.start();
    await h.runtime.settled();
    // Every output no running input wants went first; only then was the hold released.
    expect(await values(first.state, Strs)).toEqual([]);
    expect((await first.state.get(Ints.pointer('a'))).metadata.finalizers).toEqual([]);
    expect(h.runtime.metrics().controllers.Fragile!.errors).toBeGreaterThan(0);
  });
});

describe('transformController: map throwing for a running input', () => {
  const fragile = (broken: { now: boolean }) =>
    transformController({
      name: 'Fragile',
      input: Ints,
      output: Strs,
      map: (i) => {
        if (broken.now) throw new Error('cannot map now');
        return Strs.make(`s-${i.metadata.id}`, { value: String(i.spec.value) });
      },
    });

  it('should keep the output it last mapped to until map works again', async () => {
    h = harness();
    const { state, runtime, clock } = h;
    const broken = { now: false };
    runtime.register(fragile(broken));
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await runtime.settled();
    broken.now = true;
    const a = await state.get(Ints.pointer('a'));
    await state.update({ ...a, spec: { value: 2 } });
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-a=1']);
    expect(String(runtime.metrics().controllers.Fragile!.lastError)).toContain('cannot map now');
    broken.now = false;
    await clock.advance(clock.nextDue()! - clock.now());
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-a=2']);
  });

  it('should clean up no output while map throws for an input this runtime never mapped', async () => {
    const first = harness();
    const broken = { now: false };
    await first.state.create(Ints.make('a', { value: 1 }));
    first.runtime.register(fragile(broken));
    await first.runtime.start();
    await first.runtime.settled();
    await first.runtime.stop();
    // Left over from an earlier life, and no input maps to it: normally cleaned up.
    await first.state.create(Strs.make('s-orphan', { value: 'old' }), { owner: 'Fragile' });
    broken.now = true;
    h = {
      ...first,
      runtime: createRuntime({ state: first.state, clock: first.clock, random: () => 0.5, logger: quiet }),
    };
    h.runtime.register(fragile(broken));
    await h.runtime.start();
    await h.runtime.settled();
    // Which of them is a's output, this runtime cannot tell: both stay.
    expect(await values(first.state, Strs)).toEqual(['s-a=1', 's-orphan=old']);
    broken.now = false;
    await first.clock.advance(first.clock.nextDue()! - first.clock.now());
    await h.runtime.settled();
    expect(await values(first.state, Strs)).toEqual(['s-a=1']);
  });
});

describe('transformController: an inert definition', () => {
  it('should start cold in a new runtime, and keep two runtimes on two stores apart', async () => {
    let calls = 0;
    const definition = transformController({
      name: 'Counted',
      inputFinalizers: true,
      input: Ints,
      output: Strs,
      map: async (i) => {
        calls++;
        await new Promise((r) => setImmediate(r));
        return Strs.make(i.metadata.id, { value: String(i.spec.value) });
      },
    });
    const a = harness();
    const b = harness();
    try {
      for (let n = 0; n < 3; n++) {
        await a.state.create(Ints.make(`i${n}`, { value: n }));
        await b.state.create(Ints.make(`i${n}`, { value: 10 + n }));
      }
      a.runtime.register(definition);
      b.runtime.register(definition);
      await Promise.all([a.runtime.start(), b.runtime.start()]);
      for (let n = 0; n < 3; n++) {
        const [x, y] = [await a.state.get(Ints.pointer(`i${n}`)), await b.state.get(Ints.pointer(`i${n}`))];
        await Promise.all([
          a.state.update({ ...x, spec: { value: x.spec.value + 100 } }),
          b.state.update({ ...y, spec: { value: y.spec.value + 100 } }),
        ]);
      }
      await Promise.all([a.runtime.settled(), b.runtime.settled()]);
      expect(await values(a.state, Strs)).toEqual(['i0=100', 'i1=101', 'i2=102']);
      expect(await values(b.state, Strs)).toEqual(['i0=110', 'i1=111', 'i2=112']);
      await a.runtime.stop();
      // A restarted runtime on the same store maps every input again: nothing survives in the definition.
      calls = 0;
      const again = createRuntime({ state: a.state, clock: a.clock, random: () => 0.5 });
      again.register(definition);
      await again.start();
      await again.settled();
      await again.stop();
      expect(calls).toBe(3);
    } finally {
      await a.runtime.stop();
      await b.runtime.stop();
    }
  });
});
