import { afterEach, describe, expect, it } from 'vitest';
import { input, isNotFoundError, transformController } from '../../../src/index.js';
import { type Harness, harness, Ints, Sentences, Strs, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

describe('transformController: what map sees and what it remembers', () => {
  it('should call map again when a resource it read through ctx changes, though its input did not', async () => {
    h = harness();
    const { state, runtime } = h;
    const calls: string[] = [];
    runtime.register(
      transformController({
        name: 'Scaled',
        input: Ints,
        output: Strs,
        // Reads another input (the factor) through ctx: its changes must reach every output.
        map: async (i, ctx) => {
          if (i.metadata.id === 'factor') return null;
          calls.push(i.metadata.id);
          const factor = await ctx.get(Ints.pointer('factor'));
          return Strs.make(i.metadata.id, { value: String(i.spec.value * factor.spec.value) });
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('factor', { value: 2 }));
    for (const id of ['a', 'b']) await state.create(Ints.make(id, { value: 5 }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=10', 'b=10']);

    const factor = await state.get(Ints.pointer('factor'));
    await state.update({ ...factor, spec: { value: 3 } });
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=15', 'b=15']);

    // A change elsewhere (a new input) maps the new one only: the remembered results still hold.
    calls.length = 0;
    await state.create(Ints.make('c', { value: 1 }));
    await runtime.settled();
    expect(calls).toEqual(['c']);
    expect(await values(state, Strs)).toEqual(['a=15', 'b=15', 'c=3']);
  });

  it('should call map again when a read that found nothing would now find something, or a listed kind changes', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(
      transformController({
        name: 'Named',
        input: Ints,
        output: Strs,
        extraInputs: [input.weak(Sentences)],
        map: async (i, ctx) => {
          let name = '?';
          try {
            name = (await ctx.get(Sentences.pointer(i.metadata.id))).spec.value;
          } catch (error) {
            if (!isNotFoundError(error)) throw error;
          }
          // Only the ids starting with z: creating `a` changes the get above, not this list.
          const all = await ctx.list(Sentences.kind(), { idQuery: /^z/ });
          return Strs.make(i.metadata.id, { value: `${name}/${all.length}` });
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=?/0']);
    await state.create(Sentences.make('a', { value: 'alpha' }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=alpha/0']);
    await state.create(Sentences.make('z', { value: 'other' }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=alpha/1']);
  });

  it('should remember results with extra inputs too, calling map only for inputs whose reads changed', async () => {
    h = harness();
    const { state, runtime } = h;
    const calls: string[] = [];
    runtime.register(
      transformController({
        name: 'Prefixed',
        input: Ints,
        output: Strs,
        extraInputs: [input.weak(Sentences)],
        map: async (i, ctx) => {
          calls.push(i.metadata.id);
          const prefix = await ctx.get(Sentences.pointer(`p-${i.metadata.id}`));
          return Strs.make(i.metadata.id, { value: `${prefix.spec.value}${i.spec.value}` });
        },
      }),
    );
    await runtime.start();
    for (const id of ['a', 'b', 'c']) {
      await state.create(Sentences.make(`p-${id}`, { value: `${id}:` }));
      await state.create(Ints.make(id, { value: 1 }));
    }
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=a:1', 'b=b:1', 'c=c:1']);
    calls.length = 0;
    const p = await state.get(Sentences.pointer('p-b'));
    await state.update({ ...p, spec: { value: 'B:' } });
    await runtime.settled();
    expect(calls).toEqual(['b']);
    expect(await values(state, Strs)).toEqual(['a=a:1', 'b=B:1', 'c=c:1']);
  });

  it('should give map a view of the input without its version, finalizers or update time', async () => {
    h = harness();
    const { state, runtime } = h;
    const seen: string[][] = [];
    runtime.register(
      transformController({
        name: 'Viewer',
        input: Ints,
        output: Strs,
        inputFinalizers: true,
        map: (i) => {
          seen.push(Object.keys(i.metadata).sort());
          expect(Object.isFrozen(i) && Object.isFrozen(i.metadata)).toBe(true);
          return Strs.make(i.metadata.id, { value: String(i.spec.value) });
        },
      }),
    );
    await runtime.start();
    await state.create(Ints.make('a', { value: 1 }, { labels: { x: 'y' } }));
    await runtime.settled();
    expect(seen).toEqual([['annotations', 'created', 'id', 'labels', 'namespace', 'owner', 'phase', 'type']]);
    expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual(['Viewer']);
  });
});
