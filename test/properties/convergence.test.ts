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
    controllers: graphControllers(graph),
    inputs: sources,
    expected: (model) => expectedResources(graph, model),
    outputs: graphTypes(graph),
    compare: { metadata: ['phase', 'finalizers'] },
    faults,
  };
}

// Ids are not created again after a destroy: a new resource restarts at version 1 with timestamps
// that can equal the old generation's (virtual time stands still), so a write prepared against the
// old generation can still land on the new one between a read and the write that follows it (the
// ABA case of version-checked writes; the contract's metadata has no generation id). The transform
// now writes back what it reads just before its transaction, which narrows the window but does not
// close it. Known limitation, kept visible here.
const churn = { maxCommands: 30, recreate: false };

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
