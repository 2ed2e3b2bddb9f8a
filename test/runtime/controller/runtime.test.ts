import { afterEach, describe, expect, it } from 'vitest';
import {
  defineController,
  input,
  isAccessError,
  isOwnerConflictError,
  isRegistrationError,
  label,
  output,
  type ReconcileContext,
} from '../../../src/index.js';
import { type Harness, harness, Ints, Sentences, Strs, Sums, stage, values } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

describe('runtime: full-reconcile controllers', () => {
  it('should propagate updates and teardowns through every hop of a chain of three controllers', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(stage('IntToStr', Ints, Strs, (v) => `#${String(v)}`));
    runtime.register(stage('StrToSentence', Strs, Sentences, (v) => `${String(v)} is a number`));
    runtime.register(stage('SentenceToInt', Sentences, Sums, (v) => String(v).length));
    await runtime.start();
    for (let i = 0; i < 10; i++) await state.create(Ints.make(`n${i}`, { value: i * 11 }));
    await runtime.settled();
    expect(await values(state, Sentences)).toEqual(
      Array.from({ length: 10 }, (_, i) => `n${i}=#${i * 11} is a number`),
    );
    expect((await values(state, Sums)).slice(0, 3)).toEqual(['n0=14', 'n1=15', 'n2=15']);

    const n3 = await state.get(Ints.pointer('n3'));
    await state.update({ ...n3, spec: { value: 12345 } });
    await runtime.settled();
    expect((await state.get(Sentences.pointer('n3'))).spec.value).toBe('#12345 is a number');
    expect((await state.get(Sums.pointer('n3'))).spec.value).toBe(18);
    expect((await state.get(Ints.pointer('n3'))).metadata.finalizers).toEqual(['IntToStr']);

    // Teardown walks down the chain, then the finalizers are released back up it.
    const gone = state.teardownAndDestroy(Ints.pointer('n5'));
    await runtime.settled();
    await gone;
    await expect(state.get(Strs.pointer('n5'))).rejects.toThrow(/not found/);
    await expect(state.get(Sentences.pointer('n5'))).rejects.toThrow(/not found/);
    await expect(state.get(Sums.pointer('n5'))).rejects.toThrow(/not found/);
    expect(await values(state, Strs)).toHaveLength(9);
    expect(await values(state, Sums)).toHaveLength(9);
  });

  it('should keep sums over a shared output type, each controller with its own label filter', async () => {
    h = harness();
    const { state, runtime } = h;
    const sum = (name: string, id: string, query: ReturnType<typeof label.equal>[]) =>
      defineController({
        name,
        inputs: [input.weak(Ints, { namespace: 'source' })],
        outputs: [output.shared(Sums)],
        async reconcile(ctx) {
          const list = await ctx.list(Ints.kind('source'), { labelQuery: query });
          const total = list.reduce((s, r) => s + r.spec.value, 0);
          await ctx.modify(Sums.make(id, { value: 0 }), (d) => {
            d.spec.value = total;
          });
        },
      });
    runtime.register(sum('SumA', 'sum-a', [label.equal('group', 'a')]));
    runtime.register(sum('SumB', 'sum-b', [label.equal('group', 'b')]));
    runtime.register(sum('SumNotA', 'sum-not-a', [label.equal('group', 'a', { invert: true })]));
    await runtime.start();
    for (let i = 1; i <= 6; i++) {
      const group = i % 3 === 0 ? 'c' : i % 2 === 0 ? 'a' : 'b';
      await state.create(Ints.make(`i${i}`, { value: i }, { namespace: 'source', labels: { group } }));
    }
    await runtime.settled();
    // a: 2, 4; b: 1, 5; c: 3, 6
    expect(await values(state, Sums)).toEqual(['sum-a=6', 'sum-b=6', 'sum-not-a=15']);

    const i5 = await state.get(Ints.pointer('i5', 'source'));
    await state.update({ ...i5, metadata: { ...i5.metadata, labels: { group: 'a' } } });
    await runtime.settled();
    expect(await values(state, Sums)).toEqual(['sum-a=11', 'sum-b=1', 'sum-not-a=10']);

    await state.destroy(Ints.pointer('i4', 'source'));
    await runtime.settled();
    expect(await values(state, Sums)).toEqual(['sum-a=7', 'sum-b=1', 'sum-not-a=10']);
    const owners = (await state.list(Sums.kind())).map((r) => r.metadata.owner);
    expect(owners).toEqual(['SumA', 'SumB', 'SumNotA']);
  });

  it('should refuse to let one writer of a shared type touch instances another owns', async () => {
    h = harness();
    const { state, runtime } = h;
    const errors: unknown[] = [];
    runtime.register(
      defineController({
        name: 'Owner',
        inputs: [],
        outputs: [output.shared(Sums)],
        async reconcile(ctx) {
          await ctx.modify(Sums.make('mine', { value: 1 }), () => {});
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    runtime.register(
      defineController({
        name: 'Intruder',
        inputs: [],
        outputs: [output.shared(Sums)],
        async reconcile(ctx) {
          try {
            await ctx.modify(Sums.make('mine', { value: 0 }), (d) => {
              d.spec.value = 666;
            });
          } catch (error) {
            errors.push(error);
          }
        },
      }),
    );
    await runtime.settled();
    expect(errors).toHaveLength(1);
    expect(isOwnerConflictError(errors[0])).toBe(true);
    expect((await state.get(Sums.pointer('mine'))).spec.value).toBe(1);
  });

  it('should run once at start and coalesce a burst of changes during a run into one more run', async () => {
    h = harness();
    const { state, runtime } = h;
    let runs = 0;
    let release: (() => void) | undefined;
    const gate = () => new Promise<void>((r) => (release = r));
    runtime.register(
      defineController({
        name: 'Slow',
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile() {
          runs++;
          if (runs === 2) await gate();
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(runs).toBe(1);
    await state.create(Ints.make('first', { value: 0 }));
    while (release === undefined) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 50; i++) await state.create(Ints.make(`burst-${i}`, { value: i }));
    release();
    await runtime.settled();
    expect(runs).toBe(3);
    expect(runtime.metrics().controllers.Slow!.reconciles).toBe(3);
  });

  it('should never run two reconciles of one controller at once', async () => {
    h = harness();
    const { state, runtime } = h;
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let writes = 0;
    runtime.register(
      defineController({
        name: 'Counter',
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile() {
          running++;
          runs++;
          maxRunning = Math.max(maxRunning, running);
          // An input changes while this run is under way, between its awaits: the change is fanned
          // out during the run, and must wait for it rather than start a second one beside it.
          if (writes < 30) {
            const i = writes++;
            await state.create(Ints.make(`c${i}`, { value: i }));
          }
          await new Promise((r) => setImmediate(r));
          await new Promise((r) => setImmediate(r));
          running--;
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(writes).toBe(30);
    // Every mid-run change woke exactly one more run: the first, then one per write.
    expect(runs).toBe(31);
    expect(maxRunning).toBe(1);
  });

  it('should let a controller register after start and change its inputs at run time', async () => {
    h = harness();
    const { state, runtime } = h;
    await runtime.start();
    await state.create(Ints.make('x', { value: 7 }));
    await state.create(Strs.make('y', { value: 'hello' }));
    const seen: string[] = [];
    runtime.register(
      defineController({
        name: 'Switcher',
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile(ctx) {
          const ints = await ctx.list(Ints.kind());
          seen.push(`ints:${ints.length}`);
          if (ints.some((i) => i.spec.value === 8)) {
            ctx.updateInputs([input.weak(Ints), input.weak(Strs)]);
            seen.push(`strs:${(await ctx.list(Strs.kind())).length}`);
          }
        },
      }),
    );
    await runtime.settled();
    expect(seen).toEqual(['ints:1']);
    const x = await state.get(Ints.pointer('x'));
    await state.update({ ...x, spec: { value: 8 } });
    await runtime.settled();
    expect(seen).toEqual(['ints:1', 'ints:1', 'strs:1']);
    // Now a change of Strs wakes it too.
    await state.create(Strs.make('z', { value: 'again' }));
    await runtime.settled();
    expect(seen).toEqual(['ints:1', 'ints:1', 'strs:1', 'ints:1', 'strs:2']);
    expect(runtime.dependencyGraph().edges.filter((e) => e.controller === 'Switcher')).toHaveLength(2);
  });

  it('should reject undeclared reads, writes to non-outputs and finalizers on weak inputs', async () => {
    h = harness();
    const { state, runtime } = h;
    await state.create(Ints.make('a', { value: 1 }));
    await state.create(Strs.make('only', { value: 's' }));
    const outcomes: Record<string, unknown> = {};
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        outcomes[what] = 'ok';
      } catch (error) {
        outcomes[what] = isAccessError(error) ? 'AccessError' : error;
      }
    };
    runtime.register(
      defineController({
        name: 'Nosy',
        inputs: [input.weak(Ints), input.weak(Strs, { id: 'only' })],
        outputs: [output.exclusive(Sums)],
        async reconcile(ctx: ReconcileContext) {
          await attempt('get input', () => ctx.get(Ints.pointer('a')));
          await attempt('get id input', () => ctx.get(Strs.pointer('only')));
          await attempt('get other id', () => ctx.get(Strs.pointer('other')));
          await attempt('list id input', () => ctx.list(Strs.kind()));
          await attempt('get undeclared', () => ctx.get(Sentences.pointer('a')));
          await attempt('list input in other namespace', () => ctx.list(Ints.kind('elsewhere')));
          await attempt('write non-output', () => ctx.create(Strs.make('b', { value: 'x' })));
          await attempt('finalizer on weak', () => ctx.addFinalizer(Ints.pointer('a'), 'Nosy'));
          await attempt('write output', () => ctx.create(Sums.make('s', { value: 1 })));
          await attempt('read output anywhere', () => ctx.list(Sums.kind('any-namespace')));
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(outcomes).toEqual({
      'get input': 'ok',
      'get id input': 'ok',
      'get other id': 'AccessError',
      'list id input': 'AccessError',
      'get undeclared': 'AccessError',
      'list input in other namespace': 'AccessError',
      'write non-output': 'AccessError',
      'finalizer on weak': 'AccessError',
      'write output': 'ok',
      'read output anywhere': 'ok',
    });
    expect(await values(state, Strs)).toEqual(['only=s']);
    expect((await state.get(Sums.pointer('s'))).metadata.owner).toBe('Nosy');
  });

  it('should destroy the outputs not written since trackOutputs, waiting for their finalizers', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(
      defineController({
        name: 'Mirror',
        inputs: [input.weak(Ints), input.destroyReady(Strs)],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx) {
          ctx.trackOutputs();
          for (const i of await ctx.list(Ints.kind())) {
            await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
              d.spec.value = String(i.spec.value);
            });
          }
          await ctx.cleanupOutputs(Strs.kind());
        },
      }),
    );
    await runtime.start();
    for (const id of ['a', 'b', 'c']) await state.create(Ints.make(id, { value: id.charCodeAt(0) }));
    await state.create(Strs.make('user-owned', { value: 'kept' }));
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['a=97', 'b=98', 'c=99', 'user-owned=kept']);

    await state.addFinalizer(Strs.pointer('b'), 'someone-else');
    await state.destroy(Ints.pointer('a'));
    await state.destroy(Ints.pointer('b'));
    await runtime.settled();
    // 'a' is gone; 'b' waits for the other finalizer, tearing down; user-owned stays.
    expect(await values(state, Strs)).toEqual(['b=98', 'c=99', 'user-owned=kept']);
    expect((await state.get(Strs.pointer('b'))).metadata.phase).toBe('tearingDown');
    await state.removeFinalizer(Strs.pointer('b'), 'someone-else');
    await runtime.settled();
    expect(await values(state, Strs)).toEqual(['c=99', 'user-owned=kept']);
  });

  it('should fail the run, not the runtime, when updateInputs is given inputs that do not fit', async () => {
    h = harness();
    const { runtime } = h;
    runtime.register(
      defineController({
        name: 'Confused',
        inputs: [input.weak(Ints)],
        outputs: [],
        reconcile(ctx) {
          ctx.updateInputs([input.weak(Strs), input.strong(Strs)]);
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    const m = runtime.metrics().controllers.Confused!;
    expect(m.errors).toBe(1);
    expect(isRegistrationError(m.lastError)).toBe(true);
    expect((m.lastError as Error).message).toMatch(
      /input Strs\.ctrl\.test\.converge\.dev\(default\) is declared twice/,
    );
    expect(runtime.dependencyGraph().edges.map((e) => e.type)).toEqual([Ints.type]);
  });
});
