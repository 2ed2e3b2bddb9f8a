import fc from 'fast-check';
import { describe, it } from 'vitest';
import { type ConvergenceOptions, runConvergence } from '../../src/testing/simulation/check-convergence.js';
import { userCommands } from '../../src/testing/simulation/commands.js';
import type { FaultRates } from '../../src/testing/simulation/faults.js';
import { scheduleArbitrary } from '../../src/testing/simulation/schedule.js';
import {
  describeGraph,
  expectedResources,
  type Graph,
  graphArbitrary,
  graphControllers,
  graphTypes,
  sources,
} from '../testing/graph-fixture.js';

const seed = Number(process.env.CONVERGE_PROPERTY_SEED ?? 20260401);

function options(graph: Graph, faults: FaultRates): ConvergenceOptions {
  return {
    controllers: () => graphControllers(graph),
    inputs: sources,
    expected: (model) => expectedResources(graph, model),
    outputs: graphTypes(graph),
    compare: { metadata: ['phase', 'finalizers'] },
    faults,
  };
}

// Ids are created again after their destroy: a new generation restarts at version 1, so writes
// that must not land on it (the generic controllers' finalizer edits) carry `expectedCreated`.
const churn = { maxCommands: 30, recreate: true };

const faultsButOverruns: FaultRates = {
  writeConflict: 0.1,
  crash: 0.01,
  reconcileThrows: 0.05,
  restart: 0.002,
  clockJump: 0.01,
};

async function check(
  numRuns: number,
  seedOffset: number,
  commands: object,
  faults: FaultRates,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      graphArbitrary(),
      userCommands(sources, commands),
      scheduleArbitrary({ maxLength: 400 }),
      async (graph, cmds, schedule) => {
        await runConvergence(options(graph, faults), cmds, schedule);
      },
    ),
    { seed: seed + seedOffset, numRuns },
  );
}

describe('convergence of transform and merge graphs', () => {
  it('should reach the pure function of the final inputs, leaking nothing, whatever the order', async () => {
    await check(1500, 0, churn, {});
  }, 120_000);

  it('should converge once faults stop: conflicts, throws, crashes anywhere, restarts, clock jumps', async () => {
    await check(800, 1, churn, faultsButOverruns);
  }, 120_000);

  it('should survive watch overruns by re-listing, with every other fault as well', async () => {
    await check(500, 2, churn, { ...faultsButOverruns, watchOverrun: 0.05 });
  }, 120_000);

  it('should describe the graph it failed on', () => {
    const graph: Graph = {
      derived: [
        { kind: 'transforms', producers: [{ kind: 'transform', from: 0, a: 2, b: 1, c: 0 }] },
        { kind: 'merge', from: 2 },
      ],
    };
    if (describeGraph(graph) !== 'T2 = (2x+1)(T0); T3 = merge(T2)') throw new Error(describeGraph(graph));
  });
});
