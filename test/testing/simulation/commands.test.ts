import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { sameStringSet } from '../../../src/runtime/resource/equality.js';
import { userCommands } from '../../../src/testing/simulation/commands.js';
import { InputModel } from '../../../src/testing/simulation/input-model.js';
import { scheduleArbitrary } from '../../../src/testing/simulation/schedule.js';
import { createSimulation } from '../../../src/testing/simulation/simulation.js';

const Links = defineResource({
  type: 'Links.cmd.test.converge.dev',
  spec: z.object({ mtu: z.number().int().min(68).max(9000).default(1500), up: z.boolean() }),
});
const Routes = defineResource({
  type: 'Routes.cmd.test.converge.dev',
  defaultNamespace: 'network',
  spec: z.object({ gateway: z.ipv4() }),
});

describe('userCommands', () => {
  it('should keep the model and the store in agreement, whatever the commands', async () => {
    await fc.assert(
      fc.asyncProperty(
        userCommands([Links, Routes], { maxCommands: 25 }),
        scheduleArbitrary(),
        async (commands, schedule) => {
          const sim = createSimulation({ controllers: () => [], choices: schedule.choices() });
          const model = new InputModel();
          await sim.start();
          await fc.asyncModelRun(() => ({ model, real: sim }), commands);
          expect((await sim.runUntilSettled()).settled).toBe(true);
          for (const definition of [Links, Routes]) {
            const stored = await sim.resources(definition);
            const wanted = model.list(definition);
            expect(stored.map((r) => r.metadata.id)).toEqual(wanted.map((r) => r.metadata.id));
            stored.forEach((r, i) => {
              const w = wanted[i]!;
              expect(r.spec).toEqual(w.spec);
              expect(r.metadata.phase).toBe(w.metadata.phase);
              expect(sameStringSet(r.metadata.finalizers, w.metadata.finalizers)).toBe(true);
            });
          }
          sim.dispose();
        },
      ),
      { seed: 17, numRuns: 150 },
    );
  });

  it('should generate every kind of operation, readable in a counterexample', () => {
    const texts = fc
      .sample(userCommands([Links], { maxCommands: 40 }), { seed: 4, numRuns: 30 })
      .flatMap((commands) => [...commands].map((c) => c.toString()));
    const kinds = new Set(texts.map((t) => t.split(' ')[0]));
    expect([...kinds].sort()).toEqual([
      'addFinalizer',
      'create',
      'destroy',
      'removeFinalizer',
      'teardown',
      'update',
    ]);
    expect(texts.find((t) => t.startsWith('create '))).toMatch(
      /^create Links\.cmd\.test\.converge\.dev\(default\/[abc]\) \{.*"up":(true|false).*\}$/,
    );
    expect(texts.find((t) => t.startsWith('addFinalizer '))).toMatch(/ user\.converge\.dev\/hold$/);
  });

  it('should honour weights, ids and finalizers, and refuse nonsense', () => {
    const only = fc
      .sample(
        userCommands([Links], { weights: { update: 0, teardown: 0, destroy: 0, finalizers: 0 }, ids: ['x'] }),
        {
          seed: 1,
          numRuns: 10,
        },
      )
      .flatMap((commands) => [...commands].map((c) => c.toString()));
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((t) => t.startsWith('create Links.cmd.test.converge.dev(default/x) '))).toBe(true);
    expect(() => userCommands([])).toThrow('userCommands: give at least one definition');
    expect(() => userCommands([Links], { ids: [] })).toThrow('userCommands: ids must not be empty');
    expect(() => userCommands([Links], { weights: { create: -1 } })).toThrow(RangeError);
    expect(() =>
      userCommands([Links], { weights: { create: 0, update: 0, teardown: 0, destroy: 0, finalizers: 0 } }),
    ).toThrow('userCommands: every operation weight is 0');
    expect(() => userCommands([Links], { maxStepsBetween: 1.5 })).toThrow(RangeError);
  });

  it('should create an id again once its destroy completes, unless told not to reuse ids', async () => {
    const creates = async (recreate: boolean) => {
      const counts: number[] = [];
      for (const commands of fc.sample(
        userCommands([Links], { recreate, ids: ['a'], maxCommands: 30, weights: { finalizers: 0 } }),
        { seed: 2, numRuns: 30 },
      )) {
        const sim = createSimulation({ controllers: () => [], seed: 1 });
        await sim.start();
        await fc.asyncModelRun(() => ({ model: new InputModel(), real: sim }), commands);
        counts.push(sim.operations.filter((o) => o.startsWith('create ')).length);
      }
      return Math.max(...counts);
    };
    expect(await creates(false)).toBe(1);
    expect(await creates(true)).toBeGreaterThan(1);
  });
});
