import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, input, output } from '../../src/runtime/controller/index.js';
import { isNotFoundError } from '../../src/runtime/errors.js';
import { defineResource } from '../../src/runtime/resource/define-resource.js';
import type { AnyResource } from '../../src/runtime/resource/resource.js';
import {
  type CheckConvergenceOptions,
  checkConvergence,
} from '../../src/testing/simulation/check-convergence.js';
import type { InputModel } from '../../src/testing/simulation/input-model.js';
import { type ConvergenceError, isConvergenceError } from '../../src/testing/simulation/report.js';

const Ints = defineResource({
  type: 'Ints.broken.test.converge.dev',
  spec: z.object({ value: z.number().int().min(0).max(99) }),
});
const Strs = defineResource({ type: 'Strs.broken.test.converge.dev', spec: z.object({ value: z.string() }) });

/** What every controller here should produce: one Str per running Int, its value in decimal. */
const expected = (model: InputModel): AnyResource[] =>
  model
    .list(Ints)
    .filter((i) => i.metadata.phase === 'running')
    .map((i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }));

function intToStr(
  name: string,
  body: (ctx: Parameters<Parameters<typeof defineController>[0]['reconcile']>[0]) => Promise<void>,
) {
  return defineController({
    name,
    inputs: [input.weak(Ints)],
    outputs: [output.exclusive(Strs)],
    reconcile: body,
  });
}

async function caught(
  options: Omit<CheckConvergenceOptions, 'inputs' | 'expected'>,
): Promise<ConvergenceError> {
  const error = await checkConvergence({ inputs: [Ints], expected, seed: 7, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isConvergenceError(error)) throw new Error(`expected a convergence failure, got ${String(error)}`);
  return error;
}

/** How many decisions of the shrunk schedule deviate from the default (no delay, no fault). */
function deviations(decisions: string): number {
  const match = /^script, (\d+) of \d+ decisions away from the default/.exec(decisions);
  if (match === null) throw new Error(`not a script schedule: ${decisions}`);
  return Number(match[1]);
}

describe('a broken controller', () => {
  it('should be caught when it forgets to clean up, shrunk to a create and its removal', async () => {
    const Leaky = intToStr('LeakyIntToStr', async (ctx) => {
      for (const i of await ctx.list(Ints.kind())) {
        if (i.metadata.phase !== 'running') continue;
        await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
          d.spec.value = String(i.spec.value);
        });
      }
      // BUG: no ctx.cleanupOutputs(): outputs of removed inputs stay forever.
    });
    const { report } = await caught({ controllers: () => [Leaky], numRuns: 200 });
    expect(report.operations).toHaveLength(2);
    expect(report.operations[0]).toMatch(/^create /);
    expect(report.operations[1]).toMatch(/^(destroy|teardown) /);
    expect(report.differences).toEqual([expect.objectContaining({ kind: 'unexpected' })]);
    expect(report.replay).toMatch(
      /^CONVERGE_REPLAY='7,[\d:]*,[^']*' npx vitest run test\/properties\/convergence-broken\.test\.ts -t /,
    );
  });

  it('should be caught when it reads a stale cache, shrunk to a create and a change or two', async () => {
    // A factory: every runtime (and every run) starts with an empty cache, as a new process would.
    const stale = () => {
      let snapshot: readonly AnyResource[] = [];
      return intToStr('StaleIntToStr', async (ctx) => {
        ctx.trackOutputs();
        const inputs = await ctx.list(Ints.kind());
        // BUG: the cache is refreshed only when the number of inputs changes.
        if (inputs.length !== snapshot.length) snapshot = inputs;
        for (const i of snapshot) {
          if (i.metadata.phase !== 'running') continue;
          await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
            d.spec.value = String(i.spec.value);
          });
        }
        await ctx.cleanupOutputs(Strs.kind());
      });
    };
    const { report } = await caught({ controllers: () => [stale()], numRuns: 200 });
    // Any change that leaves the number of inputs as it was: an update, a teardown, a swap of ids.
    expect(report.operations.length).toBeLessThanOrEqual(3);
    expect(report.operations[0]).toMatch(/^create /);
    expect(report.differences.length).toBeGreaterThan(0);
  });

  it('should be caught when it forgets to await its writes, shrunk to a few operations and a small schedule', async () => {
    const Racy = intToStr('RacyIntToStr', async (ctx) => {
      ctx.trackOutputs();
      for (const i of await ctx.list(Ints.kind())) {
        if (i.metadata.phase !== 'running') continue;
        // BUG: not awaited: this run ends before its write, and an older run's write can land last.
        void ctx
          .modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
            d.spec.value = String(i.spec.value);
          })
          .catch(() => {});
      }
    });
    const { report } = await caught({
      controllers: () => [Racy],
      numRuns: 300,
      commands: { weights: { destroy: 0, teardown: 0 } },
    });
    // Out of up to 30 generated operations and hundreds of decisions: a handful of each remain.
    expect(report.operations.length).toBeLessThanOrEqual(5);
    expect(deviations(report.decisions)).toBeLessThanOrEqual(3);
    expect(report.decisions).toMatch(/delay /);
    expect(report.differences.length).toBeGreaterThan(0);
  });

  it('should be caught, with failing store calls, when it takes every error for "not found"', async () => {
    const Careless = intToStr('CarelessIntToStr', async (ctx) => {
      ctx.trackOutputs();
      for (const listed of await ctx.list(Ints.kind())) {
        // BUG: any failure of the read (a conflict, an outage) is taken to mean the input is gone.
        const i = await ctx.get(Ints.pointer(listed.metadata.id)).catch(() => undefined);
        if (i === undefined || i.metadata.phase !== 'running') continue;
        await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
          d.spec.value = String(i.spec.value);
        });
      }
      await ctx.cleanupOutputs(Strs.kind());
    });
    const { report } = await caught({
      controllers: () => [Careless],
      numRuns: 300,
      faults: { callFails: 0.3, callFailsOn: ['get'] },
    });
    // Shrunk to a few operations and decisions, among them the failing read that matters (a read
    // inside modify counts too; the batched writes of other stages leave a delay or two).
    expect(report.operations.length).toBeLessThanOrEqual(3);
    expect(deviations(report.decisions)).toBeLessThanOrEqual(3);
    expect(report.decisions).toMatch(
      /fail CarelessIntToStr get Ints\.broken\.test\.converge\.dev\(default\/[abc]\)#\d+=\d+/,
    );
    expect(report.trace.some((line) => /CarelessIntToStr's call get \(#\d+\) fails/.test(line))).toBe(true);
  });

  it('should pass the same properties once fixed', async () => {
    const Fixed = intToStr('FixedIntToStr', async (ctx) => {
      ctx.trackOutputs();
      for (const listed of await ctx.list(Ints.kind())) {
        const i = await ctx.get(Ints.pointer(listed.metadata.id)).catch((e: unknown) => {
          if (isNotFoundError(e)) return undefined;
          throw e;
        });
        if (i === undefined || i.metadata.phase !== 'running') continue;
        await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
          d.spec.value = String(i.spec.value);
        });
      }
      await ctx.cleanupOutputs(Strs.kind());
    });
    const stats = await checkConvergence({
      controllers: () => [Fixed],
      inputs: [Ints],
      expected,
      seed: 7,
      numRuns: 300,
      faults: { reconcileThrows: 0.3, callFails: 0.2, writeConflict: 0.2, crash: 0.02 },
    });
    expect(stats.numRuns).toBe(300);
  });
});
