import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  createState,
  type RuntimeScheduler,
  type RuntimeTask,
  transformController,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { Ints, Sentences, Strs, values } from './fixtures.js';

type Op = { kind: 'put'; id: string; value: number } | { kind: 'remove'; id: string };

// Enough ids that a burst of new inputs takes more than one transaction of the transform's batches.
const ids = Array.from({ length: 40 }, (_, i) => `i${String(i).padStart(2, '0')}`);
const id = fc.constantFrom(...ids);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), id, value: fc.integer({ min: -3, max: 50 }) }),
  fc.record({ kind: fc.constant('remove' as const), id }),
);
/** A burst: many puts with no settling between them, so new inputs pile up for one run. */
const burst: fc.Arbitrary<Op[]> = fc
  .integer({ min: 17, max: ids.length })
  .map((n) => ids.slice(0, n).map((i, k) => ({ kind: 'put' as const, id: i, value: k })));

/** A scheduler that runs buffered tasks in an order drawn from a seed, one per macrotask turn. */
function seededScheduler(seed: number): RuntimeScheduler {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4_294_967_296;
  };
  const buffered: RuntimeTask[] = [];
  let draining = false;
  const step = () => {
    if (buffered.length === 0) {
      draining = false;
      return;
    }
    const [task] = buffered.splice(Math.floor(next() * buffered.length), 1);
    task!.run();
    setImmediate(step);
  };
  return {
    schedule(task) {
      buffered.push(task);
      if (!draining) {
        draining = true;
        setImmediate(step);
      }
    },
    pending: () => buffered.length,
  };
}

describe('runtime: convergence (property)', () => {
  it('should end with every output equal to the map of the final inputs, whatever the writes and the task order', async () => {
    await fc.assert(
      fc.asyncProperty(
        burst,
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer(),
        async (first, more, seed) => {
          const ops = [...first, ...more];
          const clock = createVirtualClock();
          const state = createState({ clock });
          const runtime = createRuntime({
            state,
            clock,
            random: () => 0.5,
            experimental_scheduler: seededScheduler(seed),
          });
          runtime.register(
            transformController({
              name: 'IntToStr',
              inputFinalizers: true,
              input: Ints,
              output: Strs,
              // Negative values map to no output.
              map: (i) => (i.spec.value < 0 ? null : Strs.make(i.metadata.id, { value: `#${i.spec.value}` })),
            }),
          );
          runtime.register(
            transformController({
              name: 'StrToSentence',
              inputFinalizers: true,
              input: Strs,
              output: Sentences,
              map: (s) => Sentences.make(`s-${s.metadata.id}`, { value: `${s.spec.value}!` }),
            }),
          );
          await runtime.start();
          try {
            const expected = new Map<string, number>();
            for (const [k, o] of ops.entries()) {
              const p = Ints.pointer(o.id);
              const current = await state.get(p).catch(() => undefined);
              if (o.kind === 'put') {
                if (current?.metadata.phase === 'tearingDown') continue;
                if (current === undefined) await state.create(Ints.make(o.id, { value: o.value }));
                else await state.update({ ...current, spec: { value: o.value } });
                expected.set(o.id, o.value);
              } else if (current !== undefined && current.metadata.phase === 'running') {
                await state.teardown(p);
                expected.delete(o.id);
              }
              if (seed % 3 === 0 && k >= first.length) await runtime.settled();
            }
            await runtime.settled();
            // Every torn-down input has been released by the chain: destroying it now must succeed.
            for (const r of await state.list(Ints.kind())) {
              if (r.metadata.phase === 'tearingDown') await state.destroy(Ints.pointer(r.metadata.id));
            }
            await runtime.settled();
            const want = [...expected].filter(([, v]) => v >= 0).sort(([a], [b]) => (a < b ? -1 : 1));
            expect(await values(state, Strs)).toEqual(want.map(([id, v]) => `${id}=#${v}`));
            expect(await values(state, Sentences)).toEqual(want.map(([id, v]) => `s-${id}=#${v}!`));
            expect(
              runtime.metrics().controllers.IntToStr!.errors +
                runtime.metrics().controllers.StrToSentence!.errors,
            ).toBe(0);
          } finally {
            await runtime.stop();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
