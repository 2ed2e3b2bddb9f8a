import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyResource,
  createState,
  defineResource,
  type Pointer,
  type State,
  type TransformControllerOptions,
  transformController,
} from '../../../src/index.js';
import {
  createVirtualClock,
  type FaultRates,
  type InputModel,
  runConvergence,
  scheduleArbitrary,
  userCommands,
} from '../../../src/testing/index.js';

const Ints = defineResource({
  type: 'Ints.tprop.test.converge.dev',
  spec: z.object({ value: z.number().int().min(0).max(9) }),
});
const Strs = defineResource({ type: 'Strs.tprop.test.converge.dev', spec: z.object({ value: z.string() }) });

type Flags = Pick<
  TransformControllerOptions<typeof Ints, typeof Strs>,
  'inputFinalizers' | 'ignoreTearingDownInputs'
>;

const transform = (flags: Flags) =>
  transformController({
    name: 'T',
    input: Ints,
    output: Strs,
    map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
    ...flags,
  });

/** The outputs the inputs left at the end call for: of running inputs, or of every input left. */
const outputsOf = (phases: readonly string[]) => (model: InputModel) =>
  model
    .list(Ints)
    .filter((i) => phases.includes(i.metadata.phase))
    .map((i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }));

/**
 * The in-memory store, watched write by write: it keeps which outputs exist and which inputs hold
 * the transform's finalizer, and notes every write that breaks the option's promise, at the moment
 * it lands (a check after settling cannot see an output destroyed too late).
 */
function checkedStore(clock: ReturnType<typeof createVirtualClock>, held: boolean) {
  const inner = createState({ clock });
  const outputs = new Set<string>();
  const holding = new Set<string>();
  const problems: string[] = [];
  const note = (op: 'create' | 'update' | 'destroy', pointer: Pointer, stored?: AnyResource) => {
    const { id, type } = pointer;
    if (type === Strs.type) {
      if (op === 'destroy') outputs.delete(id);
      else outputs.add(id);
      return;
    }
    if (type !== Ints.type) return;
    const has = stored?.metadata.finalizers.includes('T') ?? false;
    if (!held && has) problems.push(`input ${id} was given the transform's finalizer`);
    if (held && holding.has(id) && !has && outputs.has(id)) {
      problems.push(`input ${id} was released while its output still existed`);
    }
    if (has) holding.add(id);
    else holding.delete(id);
  };
  const state: State = {
    ...inner,
    async create(resource, options) {
      const stored = await inner.create(resource, options);
      note('create', stored.metadata, stored);
      return stored;
    },
    async update(resource, options) {
      const stored = await inner.update(resource, options);
      note('update', stored.metadata, stored);
      return stored;
    },
    async destroy(pointer, options) {
      await inner.destroy(pointer, options);
      note('destroy', pointer);
    },
    async transaction(ops) {
      const results = await inner.transaction(ops);
      ops.forEach((op, k) => {
        const stored = results[k];
        if (op.op === 'destroy') note('destroy', op.pointer);
        else if (stored) note(op.op, stored.metadata, stored);
      });
      return results;
    },
  };
  return { state, problems };
}

const faults: FaultRates = { writeConflict: 0.1, reconcileThrows: 0.05, callFails: 0.05, crash: 0.02 };

/** Runs the convergence property of the simulation kit with the option's expectation and store checks. */
async function checkOption(flags: Flags, expected: (model: InputModel) => AnyResource[], seed: number) {
  await fc.assert(
    fc.asyncProperty(
      userCommands([Ints], { ids: ['a', 'b', 'c', 'd'], maxCommands: 25 }),
      scheduleArbitrary(),
      async (commands, schedule) => {
        const clock = createVirtualClock();
        const store = checkedStore(clock, flags.inputFinalizers === true);
        await runConvergence(
          {
            controllers: () => [transform(flags)],
            inputs: [Ints],
            expected,
            faults,
            simulation: { clock, state: store.state },
          },
          commands,
          schedule,
        );
        expect(store.problems).toEqual([]);
      },
    ),
    { numRuns: 60, seed },
  );
}

describe('transformController options (simulation property)', () => {
  it('should never hold an input by default, and leave outputs for running inputs only', async () => {
    await checkOption({}, outputsOf(['running']), 101);
  });

  it('should, with inputFinalizers, release an input only after its output is destroyed', async () => {
    await checkOption({ inputFinalizers: true }, outputsOf(['running']), 202);
  });

  it('should, with ignoreTearingDownInputs, keep the output of every input until it is destroyed', async () => {
    await checkOption({ ignoreTearingDownInputs: true }, outputsOf(['running', 'tearingDown']), 303);
  });
});
