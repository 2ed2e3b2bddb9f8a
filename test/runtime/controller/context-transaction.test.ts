import { afterEach, describe, expect, it } from 'vitest';
import {
  type ContextOp,
  createRuntime,
  defineController,
  input,
  isAccessError,
  isConflictError,
  output,
  type ReconcileContext,
  type State,
  type TransactionResult,
  transformController,
} from '../../../src/index.js';
import { type Harness, harness, Ints, Sentences, Strs, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

/** A controller that runs `body` once with its context and records the outcome. */
function once(
  name: string,
  body: (ctx: ReconcileContext) => Promise<TransactionResult[]>,
  inputs = [input.strong(Ints), input.weak(Sentences)],
) {
  const outcome: { results?: TransactionResult[]; error?: unknown; runs: number } = { runs: 0 };
  const definition = defineController({
    name,
    inputs,
    outputs: [output.shared(Strs)],
    async reconcile(ctx) {
      outcome.runs++;
      if (outcome.runs > 1) return;
      try {
        outcome.results = await body(ctx);
      } catch (error) {
        outcome.error = error;
      }
    },
  });
  return { definition, outcome };
}

describe('ctx.transaction', () => {
  it('should write several outputs in one commit, owned and tracked as single writes are', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Strs.make('stale', { value: 'old' }), { owner: 'Writer' });
    await state.create(Strs.make('kept', { value: 'v1' }), { owner: 'Writer' });
    const kept = await state.get(Strs.pointer('kept'));
    const { definition, outcome } = once('Writer', async (ctx) => {
      ctx.trackOutputs();
      const results = await ctx.transaction([
        { op: 'create', resource: Strs.make('a', { value: 'A' }) },
        { op: 'create', resource: Strs.make('b', { value: 'B' }) },
        { op: 'update', resource: { ...kept, spec: { value: 'v2' } } },
      ]);
      // Outputs written by the transaction count as written: only the untouched one goes.
      await ctx.cleanupOutputs();
      return results;
    });
    runtime.register(definition);
    await runtime.start();
    await runtime.settled();
    expect(outcome.error).toBeUndefined();
    expect(outcome.results!.map((r) => `${r!.metadata.id}@${r!.metadata.version}`)).toEqual([
      'a@1',
      'b@1',
      'kept@2',
    ]);
    expect(await values(state, Strs)).toEqual(['a=A', 'b=B', 'kept=v2']);
    for (const s of await state.list(Strs.kind())) expect(s.metadata.owner).toBe('Writer');
  });

  it('should refuse an op the controller may not do before writing anything', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Sentences.make('s', { value: 'x' }));
    const sentence = await state.get(Sentences.pointer('s'));
    const notOutput = once('NotOutput', (ctx) =>
      ctx.transaction([
        { op: 'create', resource: Strs.make('a', { value: 'A' }) },
        { op: 'create', resource: Ints.make('i', { value: 1 }) },
      ]),
    );
    const weakFinalizer = once('WeakFinalizer', (ctx) =>
      ctx.transaction([
        { op: 'create', resource: Strs.make('b', { value: 'B' }) },
        { op: 'addFinalizer', resource: sentence, finalizers: ['WeakFinalizer'] },
      ]),
    );
    runtime.register(notOutput.definition);
    runtime.register(weakFinalizer.definition);
    await runtime.start();
    await runtime.settled();
    expect(isAccessError(notOutput.outcome.error)).toBe(true);
    expect(String(notOutput.outcome.error)).toContain('not an output');
    expect(isAccessError(weakFinalizer.outcome.error)).toBe(true);
    expect(await values(state, Strs)).toEqual([]);
    expect((await state.get(Sentences.pointer('s'))).metadata.finalizers).toEqual([]);
  });

  it('should apply all or nothing: a conflicting op leaves the others unwritten', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Ints.make('i', { value: 1 }));
    const read = await state.get(Ints.pointer('i'));
    // Someone else changes the input after it was read: holding it now would be holding unseen data.
    await state.update({ ...read, spec: { value: 2 } });
    const { definition, outcome } = once('Holder', (ctx) =>
      ctx.transaction([
        { op: 'addFinalizer', resource: read, finalizers: ['Holder'] },
        { op: 'create', resource: Strs.make('i', { value: '1' }) },
      ]),
    );
    runtime.register(definition);
    await runtime.start();
    await runtime.settled();
    expect(isConflictError(outcome.error)).toBe(true);
    expect(await values(state, Strs)).toEqual([]);
    expect((await state.get(Ints.pointer('i'))).metadata.finalizers).toEqual([]);
  });

  it('should hold inputs without waking the controller for its own finalizers, and skip edits that change nothing', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Ints.make('a', { value: 1 }));
    await state.create(Ints.make('b', { value: 2 }), { owner: 'someone' });
    let runs = 0;
    let results: TransactionResult[] | undefined;
    runtime.register(
      defineController({
        name: 'Batch',
        inputs: [input.strong(Ints)],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx) {
          runs++;
          const ops: ContextOp[] = [];
          for (const i of await ctx.list(Ints.kind())) {
            ops.push({ op: 'addFinalizer', resource: i, finalizers: ['Batch'] });
          }
          results = await ctx.transaction(ops);
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(runs).toBe(1);
    const held = await state.list(Ints.kind());
    expect(held.map((i) => [i.metadata.id, i.metadata.owner, i.metadata.finalizers])).toEqual([
      ['a', '', ['Batch']],
      ['b', 'someone', ['Batch']],
    ]);
    // Someone else's change wakes it; its finalizers are already there, so nothing is written.
    await state.update({ ...held[0]!, spec: { value: 10 } });
    await runtime.settled();
    expect(runs).toBe(2);
    expect(results!.map((r) => r!.metadata.version)).toEqual([3, 2]);
    expect((await state.get(Ints.pointer('b'))).metadata.version).toBe(2);
  });

  it('should refuse malformed ops with a clear error', async () => {
    h = harness();
    const { runtime } = h;
    const { definition, outcome } = once('Bad', (ctx) => ctx.transaction([{ op: 'upsert' } as never]));
    runtime.register(definition);
    await runtime.start();
    await runtime.settled();
    expect(String(outcome.error)).toContain('ctx.transaction: unknown op "upsert"');
  });

  it('should let a transform batch its holds through any context, also one a wrapper forwards', async () => {
    h = harness();
    const { state, runtime } = h;
    const sizes: number[] = [];
    const counting: State = {
      ...state,
      transaction: (ops) => {
        sizes.push(ops.length);
        return state.transaction(ops);
      },
    };
    const transform = transformController({
      name: 'IntToStr',
      inputFinalizers: true,
      input: Ints,
      output: Strs,
      map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
    });
    // A tracing wrapper: a plain object forwarding every method, not the runtime's own class.
    const wrapped = defineController({
      ...transform,
      reconcile: (ctx) => {
        const forward = {} as Record<string, unknown>;
        for (const key of [
          'get',
          'list',
          'create',
          'update',
          'modify',
          'teardown',
          'destroy',
          'teardownAndDestroy',
          'addFinalizer',
          'removeFinalizer',
          'transaction',
          'trackOutputs',
          'cleanupOutputs',
          'local',
          'requeueAfter',
          'updateInputs',
        ] as const) {
          forward[key] = (...args: unknown[]) => (ctx[key] as (...a: unknown[]) => unknown)(...args);
        }
        return transform.reconcile(
          Object.assign(forward, { controller: ctx.controller, log: ctx.log, signal: ctx.signal }) as never,
        );
      },
    });
    for (let n = 0; n < 40; n++)
      await state.create(Ints.make(`i${String(n).padStart(2, '0')}`, { value: n }));
    await runtime.stop();
    h = { ...h, runtime: createRuntime({ state: counting, clock: h.clock, random: () => 0.5 }) };
    h.runtime.register(wrapped);
    await h.runtime.start();
    await h.runtime.settled();
    expect((await state.list(Strs.kind())).length).toBe(40);
    for (const i of await state.list(Ints.kind())) expect(i.metadata.finalizers).toEqual(['IntToStr']);
    // New inputs go in batches of up to 16 holds and creates (32 ops), not one write at a time.
    expect(Math.max(...sizes)).toBe(32);
    expect(sizes.length).toBeLessThan(5);
  });
});
