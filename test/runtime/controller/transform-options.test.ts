import { afterEach, describe, expect, it } from 'vitest';
import { defineController, input, transformController, type WatchEvent } from '../../../src/index.js';
import { type Harness, harness, Ints, Sentences, Strs, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const hold = 'user.converge.dev/hold';
const map = (i: { metadata: { id: string }; spec: { value: number } }) =>
  Strs.make(`s-${i.metadata.id}`, { value: String(i.spec.value) });

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

/** Records, in order, what happens to one input and one output. */
function recordOrder(state: Harness['state'], inputId: string, outputId: string) {
  const order: string[] = [];
  const subscriptions = [
    state.watch(Ints.pointer(inputId)).subscribe((e: WatchEvent) => {
      if (
        e.type === 'updated' &&
        e.old.metadata.finalizers.includes('T') &&
        !e.resource.metadata.finalizers.includes('T')
      ) {
        order.push('input released');
      }
      if (e.type === 'destroyed' && e.resource.spec !== null) order.push('input destroyed');
    }),
    state.watch(Strs.pointer(outputId)).subscribe((e: WatchEvent) => {
      if (e.type === 'destroyed' && e.resource.spec !== null) order.push('output destroyed');
    }),
  ];
  return {
    order,
    stop: () => {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

describe('transformController: inputs without finalizers (the default)', () => {
  it('should read inputs as weak, never hold them, and destroy the output of a tearing-down input', async () => {
    h = harness();
    const { state, runtime } = h;
    const T = transformController({ name: 'T', input: Ints, output: Strs, map });
    expect(T.inputs[0]!.kind).toBe('weak');
    runtime.register(T);
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await state.create(Ints.make('b', { value: 2 }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-a=1', 's-b=2']);
    for (const i of await state.list(Ints.kind())) expect(i.metadata.finalizers).toEqual([]);

    // Nothing holds the input: it can go at once; its output follows.
    expect(await state.teardown(Ints.pointer('a'))).toBe(true);
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-b=2']);
    await state.destroy(Ints.pointer('a'));
    await state.destroy(Ints.pointer('b'));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual([]);
  });

  it('should let the input go while another controller still holds its output, and destroy the output later', async () => {
    h = harness();
    const { state, runtime } = h;
    const release = new Set<string>();
    runtime.register(transformController({ name: 'T', input: Ints, output: Strs, map }));
    runtime.register(holder(release));
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await runtime.settled();
    const { order, stop } = recordOrder(state, 'a', 's-a');
    await state.teardownAndDestroy(Ints.pointer('a'));
    await runtime.settled();
    expect((await state.get(Strs.pointer('s-a'))).metadata.phase).toBe('tearingDown');
    release.add('s-a');
    await state.create(Sentences.make('poke', { value: 'let go' }));
    await runtime.settled();
    stop();
    expect(await values(state, Strs)).toEqual([]);
    expect(order).toEqual(['input destroyed', 'output destroyed']);
  });
});

describe('transformController: inputFinalizers', () => {
  it('should hold its inputs, and destroy the output before releasing the input', async () => {
    h = harness();
    const { state, runtime } = h;
    const release = new Set<string>();
    const T = transformController({ name: 'T', input: Ints, output: Strs, map, inputFinalizers: true });
    expect(T.inputs[0]!.kind).toBe('strong');
    runtime.register(T);
    runtime.register(holder(release));
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await runtime.settled();
    expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual(['T']);
    const { order, stop } = recordOrder(state, 'a', 's-a');
    const gone = state.teardownAndDestroy(Ints.pointer('a'));
    await runtime.settled();
    // The holder keeps the output: the input waits for it.
    expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual(['T']);
    release.add('s-a');
    await state.create(Sentences.make('poke', { value: 'let go' }));
    await runtime.settled();
    await gone;
    stop();
    expect(order).toEqual(['output destroyed', 'input released', 'input destroyed']);
  });
});

describe('transformController: ignoreTearingDownInputs', () => {
  it('should keep and update the output of a tearing-down input until the input is destroyed', async () => {
    h = harness();
    const { state, runtime } = h;
    const T = transformController({
      name: 'T',
      input: Ints,
      output: Strs,
      map,
      ignoreTearingDownInputs: true,
    });
    expect(T.inputs[0]!.kind).toBe('weak');
    runtime.register(T);
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }, { finalizers: [hold] }));
    await runtime.settled();
    expect(await state.teardown(Ints.pointer('a'))).toBe(false);
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-a=1']);
    expect((await state.get(Strs.pointer('s-a'))).metadata.phase).toBe('running');

    const a = await state.get(Ints.pointer('a'));
    await state.update({ ...a, spec: { value: 2 } }, { expectedPhase: 'tearingDown' });
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['s-a=2']);
    expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual([hold]);

    await state.removeFinalizer(Ints.pointer('a'), hold);
    await state.destroy(Ints.pointer('a'));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual([]);
  });

  it('should refuse it together with inputFinalizers, and flags that are not booleans', () => {
    expect(() =>
      transformController({
        name: 'T',
        input: Ints,
        output: Strs,
        map,
        inputFinalizers: true,
        ignoreTearingDownInputs: true,
      }),
    ).toThrow('transformController T: inputFinalizers and ignoreTearingDownInputs are mutually exclusive');
    expect(() =>
      transformController({ name: 'T', input: Ints, output: Strs, map, inputFinalizers: 'yes' as never }),
    ).toThrow('transformController T: inputFinalizers must be a boolean, got string');
  });
});
