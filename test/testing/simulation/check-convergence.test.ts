import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, input, output } from '../../../src/runtime/controller/index.js';
import { transformController } from '../../../src/runtime/controller/transform.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import {
  type ConvergenceOptions,
  checkConvergence,
} from '../../../src/testing/simulation/check-convergence.js';
import type { InputModel } from '../../../src/testing/simulation/input-model.js';
import { replayFromEnvironment, replayVariable } from '../../../src/testing/simulation/replay.js';
import { type ConvergenceError, isConvergenceError } from '../../../src/testing/simulation/report.js';

const Ints = defineResource({
  type: 'Ints.check.test.converge.dev',
  spec: z.object({ value: z.number().int().min(0).max(9) }),
});
const Strs = defineResource({ type: 'Strs.check.test.converge.dev', spec: z.object({ value: z.string() }) });

const IntToStr = transformController({
  name: 'IntToStr',
  inputFinalizers: true,
  input: Ints,
  output: Strs,
  map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
});

const Leaky = defineController({
  name: 'Leaky',
  inputs: [input.weak(Ints)],
  outputs: [output.exclusive(Strs)],
  async reconcile(ctx) {
    for (const i of await ctx.list(Ints.kind())) {
      if (i.metadata.phase !== 'running') continue;
      await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
        d.spec.value = String(i.spec.value);
      });
    }
  },
});

const expected = (model: InputModel) =>
  model
    .list(Ints)
    .filter((i) => i.metadata.phase === 'running')
    .map((i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }));

const base: ConvergenceOptions = { controllers: () => [IntToStr], inputs: [Ints], expected };

async function failure(promise: Promise<unknown>): Promise<ConvergenceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isConvergenceError(error)) throw new Error(`expected a ConvergenceError, got ${String(error)}`);
  return error;
}

afterEach(() => {
  delete process.env[replayVariable];
});

describe('checkConvergence', () => {
  it('should pass a correct controller through every fault and report the runs', async () => {
    const stats = await checkConvergence({
      ...base,
      numRuns: 150,
      seed: 11,
      faults: {
        writeConflict: 0.1,
        reconcileThrows: 0.1,
        callFails: 0.05,
        crash: 0.02,
        restart: 0.01,
        clockJump: 0.02,
      },
    });
    expect(stats).toEqual({ numRuns: 150, seed: 11 });
  });

  it('should print a replay command that replays the same shrunk failure', async () => {
    const options = { ...base, controllers: () => [Leaky], numRuns: 100, seed: 5 };
    const first = await failure(checkConvergence(options));
    const replay = first.report.replay!;
    expect(replay).toMatch(
      /^CONVERGE_REPLAY='5,[\d:]+,[A-Za-z0-9+/:]*' npx vitest run test\/testing\/simulation\/check-convergence\.test\.ts -t '\^checkConvergence should print a replay command that replays the same shrunk failure\$'$/,
    );
    expect(first.message).toContain(`replay: ${replay}`);
    process.env[replayVariable] = /'([^']+)'/.exec(replay)![1]!;
    expect(replayFromEnvironment()?.seed).toBe(5);
    const again = await failure(checkConvergence({ ...options, seed: 999 }));
    expect(again.report.operations).toEqual(first.report.operations);
    expect(again.report.differences).toEqual(first.report.differences);
    expect(again.report.trace).toEqual(first.report.trace);
  });

  it('should refuse a malformed replay value with a clear error', async () => {
    process.env[replayVariable] = 'nonsense';
    await expect(checkConvergence(base)).rejects.toThrow(
      'CONVERGE_REPLAY must be "seed,path,commands" as printed by a failure, got nonsense',
    );
  });

  it('should be drivable by fast-check scheduler or by a seed, and still catch a bug', async () => {
    for (const kind of ['fast-check', 'seed'] as const) {
      await checkConvergence({
        ...base,
        numRuns: 60,
        seed: 3,
        schedule: { kind },
        faults: { writeConflict: 0.1 },
      });
      const caught = await failure(
        checkConvergence({ ...base, controllers: () => [Leaky], numRuns: 100, seed: 3, schedule: { kind } }),
      );
      expect(caught.report.differences[0]?.kind).toBe('unexpected');
    }
  });

  it('should fail a run whose own check fails after settling, with the check error in the report', async () => {
    const error = await failure(
      checkConvergence({
        ...base,
        numRuns: 50,
        seed: 1,
        check: async (sim, model) => {
          const count = (await sim.resources(Strs)).length;
          if (model.list(Ints).length >= 2) throw new Error(`found ${count} strs`);
        },
      }),
    );
    expect(error.report.title).toMatch(/^the check failed after settling/);
    expect(error.report.error).toMatch(/^Error: found \d+ strs$/);
    expect(error.report.operations.filter((o) => o.startsWith('create'))).toHaveLength(2);
  });

  it('should fail a run that does not settle, naming the storm', async () => {
    const Storm = defineController({
      name: 'Storm',
      inputs: [input.weak(Ints)],
      outputs: [output.exclusive(Strs)],
      async reconcile(ctx) {
        await ctx.modify(Strs.make('s', { value: '' }), (d) => {
          d.spec.value += 'x';
        });
        return ctx.requeueAfter(10);
      },
    });
    const error = await failure(
      checkConvergence({
        controllers: () => [Storm],
        inputs: [Ints],
        numRuns: 5,
        seed: 1,
        simulation: { stormThreshold: 20 },
      }),
    );
    expect(error.report.title).toMatch(/^did not settle: a reconcile storm/);
    expect(error.report.violations[0]?.message).toMatch(/^reconcile storm: Storm reconciled Storm 21 times/);
    expect(error.report.operations).toEqual([]);
  });
});
