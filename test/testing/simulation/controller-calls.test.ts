import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, input, output } from '../../../src/runtime/controller/index.js';
import { transformController } from '../../../src/runtime/controller/transform.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { createState } from '../../../src/runtime/state/create-state.js';
import {
  declaredTypes,
  faultyControllerCalls,
  type InstrumentHooks,
  runAs,
} from '../../../src/testing/simulation/controller-calls.js';
import { noFaults } from '../../../src/testing/simulation/faults.js';
import { InvariantMonitor } from '../../../src/testing/simulation/invariants.js';
import { seededChoices } from '../../../src/testing/simulation/seeded-random.js';
import { createSimulation } from '../../../src/testing/simulation/simulation.js';

const Ints = defineResource({ type: 'Ints.calls.test.converge.dev', spec: z.object({ value: z.number() }) });
const Strs = defineResource({ type: 'Strs.calls.test.converge.dev', spec: z.object({ value: z.string() }) });
const Others = defineResource({ type: 'Others.calls.test.converge.dev', spec: z.object({ n: z.number() }) });

const IntToStr = transformController({
  name: 'IntToStr',
  inputFinalizers: true,
  input: Ints,
  output: Strs,
  map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
});

describe('faultyControllerCalls', () => {
  it('should inject faults into the transactions a transform makes to hold its inputs and create outputs', async () => {
    const sim = createSimulation({
      controllers: () => [IntToStr],
      seed: 1,
      faults: { callFails: 1, callFailsOn: ['transaction'] },
    });
    await sim.start();
    for (let n = 0; n < 5; n++) await sim.user.create(Ints.make(`i${n}`, { value: n }));
    await sim.interleave(200);
    const failed = sim.trace.entries().filter((e) => /IntToStr's call transaction .* fails/.test(e.text));
    expect(failed.length).toBeGreaterThan(0);
    expect(await sim.resources(Strs)).toEqual([]);
    sim.heal();
    expect((await sim.runUntilSettled()).settled).toBe(true);
    expect((await sim.resources(Strs)).map((s) => s.spec.value)).toEqual(['0', '1', '2', '3', '4']);
    expect(await sim.violations()).toEqual([]);
  });

  it('should flag every undeclared write that reaches the store, transactions included', async () => {
    const Writer = defineController({
      name: 'Writer',
      inputs: [input.weak(Ints)],
      outputs: [output.exclusive(Strs)],
      async reconcile() {},
    });
    const monitor = new InvariantMonitor([Writer]);
    const hooks: InstrumentHooks = {
      monitor,
      choices: seededChoices(0),
      faults: () => noFaults,
      crash: () => false,
      trace: () => {},
    };
    const state = faultyControllerCalls(createState(), hooks);
    const run = monitor.begin('Writer', 'Writer', 1);
    const active = { run, plan: { current: undefined }, controller: 'Writer', ...declaredTypes(Writer) };
    // Outside a reconcile, nothing is checked or counted.
    await state.create(Others.make('user', { n: 0 }));
    await runAs(active, async () => {
      await state.create(Strs.make('ok', { value: 'x' }), { owner: 'Writer' });
      await state.transaction([
        { op: 'create', resource: Strs.make('ok2', { value: 'y' }), owner: 'Writer' },
        { op: 'create', resource: Others.make('bad', { n: 1 }), owner: 'Writer' },
      ]);
      await state.update(Ints.make('i', { value: 1 })).catch(() => {});
    });
    expect(run.calls).toBe(3);
    expect(monitor.violations.map((v) => v.message)).toEqual([
      'Writer called create on Others.calls.test.converge.dev, which it does not declare as an output, and the runtime allowed it',
    ]);
  });
});
