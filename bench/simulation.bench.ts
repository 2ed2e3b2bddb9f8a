/**
 * `npm run bench -- simulation`: the deterministic simulation of `converge/testing`.
 *
 * - 1,000 property runs of a 5-controller graph (transforms and a merge) with about 50 user
 *   operations each and every fault on, each run settled and checked against the pure function of
 *   its inputs (target: under 30 s on the 2-core machine);
 * - the same runs on the plain runtime (its own microtask scheduler, no faults, `settled()` at the
 *   end, the same check): the price of the simulation;
 * - simulated steps per second, against the floor of one step (one `setImmediate` round trip, which
 *   every step pays to let the work it started settle).
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { createRuntime, createState, formatPointer, type State } from '../src/index.js';
import {
  type CommandTarget,
  type ConvergenceError,
  type ConvergenceOptions,
  compareResources,
  InputModel,
  isConvergenceError,
  runConvergence,
  type Schedule,
  scheduleArbitrary,
  type UserCommand,
  userCommands,
} from '../src/testing/index.js';
import {
  expectedResources,
  type Graph,
  graphControllers,
  graphTypes,
  sources,
} from '../test/testing/graph-fixture.js';
import { type BenchReport, type BenchRow, costRow, gc } from './harness.js';

const runs = Number(process.env.BENCH_SIMULATION_RUNS ?? 1000);
const silent = pino({ level: 'silent' });

/** T2 = f(T0); T3 = g(T1) + h(T2) (shared); T4 = merge(T3); T5 = k(T4): five controllers. */
const graph: Graph = {
  derived: [
    { kind: 'transforms', producers: [{ kind: 'transform', from: 0, a: 3, b: 1, c: 1 }] },
    {
      kind: 'transforms',
      producers: [
        { kind: 'transform', from: 1, a: 2, b: 5, c: 0 },
        { kind: 'transform', from: 2, a: 1, b: 7, c: 2 },
      ],
    },
    { kind: 'merge', from: 3 },
    { kind: 'transforms', producers: [{ kind: 'transform', from: 4, a: 4, b: 0, c: 0 }] },
  ],
};

const options: ConvergenceOptions = {
  controllers: () => graphControllers(graph),
  inputs: sources,
  expected: (model) => expectedResources(graph, model),
  outputs: graphTypes(graph),
  compare: { metadata: ['phase', 'finalizers'] },
  faults: { writeConflict: 0.05, callFails: 0.02, reconcileThrows: 0.02, crash: 0.005, restart: 0.001 },
};

/** Enough generated commands that about 50 apply (the others fail their precondition and are skipped). */
const commandsArbitrary = userCommands(sources, {
  maxCommands: 280,
  ids: 'abcdefghijkl'.split(''),
  recreate: false,
  maxStepsBetween: 10,
  weights: { create: 3, update: 4, destroy: 1, teardown: 1, finalizers: 1 },
});

async function simulated(samples: readonly [Iterable<UserCommand>, Schedule][]) {
  let steps = 0;
  let operations = 0;
  const failures: ConvergenceError[] = [];
  const start = process.hrtime.bigint();
  for (const [commands, schedule] of samples) {
    try {
      const sim = await runConvergence(options, commands, schedule);
      steps += sim.steps;
      operations += sim.operations.length;
    } catch (error) {
      // A benchmark decides nothing: a run that does not converge is counted and shown, not thrown.
      if (!isConvergenceError(error)) throw error;
      failures.push(error);
      steps += error.report.steps;
      operations += error.report.operations.length;
    }
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, steps, operations, failures };
}

/** A command target over the plain runtime: no scheduling, operations land as they come. */
function plainTarget(state: State): CommandTarget {
  const destroys = new Map<string, Promise<void>>();
  return {
    user: state,
    interleave: async () => {},
    userOperation: () => {},
    runUntil: (promise) => promise,
    destroyInBackground: (pointer) => {
      const key = formatPointer(pointer);
      destroys.set(
        key,
        state.teardownAndDestroy(pointer).finally(() => destroys.delete(key)),
      );
    },
    pendingDestroy: (pointer) => destroys.get(formatPointer(pointer)),
  };
}

async function plain(samples: readonly [Iterable<UserCommand>, Schedule][]) {
  let failures = 0;
  const start = process.hrtime.bigint();
  for (const [commands] of samples) {
    const state = createState();
    const runtime = createRuntime({ state, logger: silent });
    for (const c of graphControllers(graph)) runtime.register(c);
    await runtime.start();
    const model = new InputModel();
    await fc.asyncModelRun(() => ({ model, real: plainTarget(state) }), commands);
    await runtime.settled();
    const actual = [];
    for (const t of graphTypes(graph)) actual.push(...(await state.list(t.kind())));
    if (compareResources(actual, expectedResources(graph, model), options.compare).length > 0) failures++;
    await runtime.stop();
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, failures };
}

async function immediateHops(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const samples = fc.sample(fc.tuple(commandsArbitrary, scheduleArbitrary()), {
    seed: 20260101,
    numRuns: runs,
  });
  // fast-check's commands are single-use: each pass gets its own clones.
  const copies = () => samples.map(([c, s]) => [fc.cloneIfNeeded(c), s] as [Iterable<UserCommand>, Schedule]);

  // Warm the JIT on a tenth of the work, for both sides.
  await simulated(copies().slice(0, Math.ceil(runs / 10)));
  await plain(copies().slice(0, Math.ceil(runs / 10)));
  gc();

  const sim = await simulated(copies());
  gc();
  const base = await plain(copies());
  const floor = await immediateHops(50_000);

  rows.push({
    figure: `${runs.toLocaleString('en')} property runs, 5 controllers, ~${Math.round(sim.operations / runs)} operations each, faults on`,
    value: sim.ms / 1000,
    unit: 's',
    target: '< 30 s',
    met: sim.ms < 30_000,
  });
  rows.push(costRow('  against the same runs on the plain runtime', sim.ms, base.ms, 'ms', 10));
  const stepsPerSecond = sim.steps / (sim.ms / 1000);
  rows.push({
    figure: 'simulated steps per second (baseline: setImmediate round trips)',
    value: stepsPerSecond,
    unit: 'steps/s',
    baseline: floor,
    ratio: stepsPerSecond / floor,
  });
  rows.push({ figure: 'simulated runs that did not converge', value: sim.failures.length, unit: 'runs' });
  rows.push({ figure: 'plain-runtime runs that did not converge', value: base.failures, unit: 'runs' });
  const first = sim.failures[0]?.report;
  const failure =
    first === undefined
      ? []
      : [
          `first run that did not converge: ${first.title}, after ${first.operations.length} operations: ${first.differences
            .map((d) => `${d.kind} ${d.pointer} (${d.detail})`)
            .join('; ')}`,
        ];
  return {
    name: 'simulation',
    rows,
    notes: [
      ...failure,
      `${sim.steps.toLocaleString('en')} steps and ${sim.operations.toLocaleString('en')} operations in all; the baseline of the steps figure is setImmediate round trips per second (every step pays one)`,
      'the plain runtime pays no scheduling, no fault decisions and no per-step settling, but runs the same operations, settles and is checked the same way',
    ],
  };
}
