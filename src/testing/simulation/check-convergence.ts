import fc from 'fast-check';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { Kind } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { type UserCommand, type UserCommandOptions, userCommands } from './commands.js';
import type { FaultRates } from './faults.js';
import { InputModel } from './input-model.js';
import { errorText } from './invariants.js';
import { type CompareOptions, compareResources, type Difference } from './oracle.js';
import { replayCommand, replayFromEnvironment } from './replay.js';
import { ConvergenceError, type FailureReport, isConvergenceError } from './report.js';
import { type Schedule, type ScheduleArbitraryOptions, scheduleArbitrary } from './schedule.js';
import type { SettleOptions } from './settle.js';
import {
  type ControllerSet,
  createSimulation,
  type Simulation,
  type SimulationOptions,
} from './simulation.js';

/** What a convergence property needs: the system, its inputs, and what "converged" means. */
export interface ConvergenceOptions {
  /** A factory of the controllers under test, called afresh for every runtime (see `SimulationOptions.controllers`). */
  controllers: ControllerSet;
  /** The definitions users create, update and destroy (the inputs). */
  inputs: readonly AnyResourceDefinition[];
  /**
   * The outputs the final inputs call for: the resources that must exist, and nothing else, in the
   * `outputs` kinds. `model.list(D)` gives the inputs that remain.
   */
  expected?: (model: InputModel) => readonly AnyResource[] | Promise<readonly AnyResource[]>;
  /** The kinds `expected` describes (default: every controller output type in its default namespace). */
  outputs?: readonly (AnyResourceDefinition | Kind)[];
  /** How outputs are compared (default: spec and phase). */
  compare?: CompareOptions;
  /** A further check after settling; throw (e.g. `expect`) to fail the run. */
  check?: (sim: Simulation, model: InputModel) => void | Promise<void>;
  /** Faults of the safety phase; they stop before the liveness phase. */
  faults?: FaultRates;
  /** The user commands generated (ids, count, weights, spec arbitraries). */
  commands?: UserCommandOptions;
  /** How decisions are made (default: a shrinkable script). */
  schedule?: ScheduleArbitraryOptions;
  /** Steps run with faults still on after the last operation, before they heal (default 50). */
  safetySteps?: number;
  /** How long the liveness phase may take. */
  settle?: SettleOptions;
  /** More simulation options (storm threshold, interleaving, time races, runtime options). */
  simulation?: Omit<SimulationOptions, 'controllers' | 'seed' | 'choices' | 'scheduler' | 'faults'>;
}

/** Options of {@link checkConvergence}: the property plus how many runs. */
export interface CheckConvergenceOptions extends ConvergenceOptions {
  /** Runs (default 100). */
  numRuns?: number;
  /** fast-check's seed (default: random, printed on failure). */
  seed?: number;
  /** More fast-check parameters (`path`, `endOnFailure`, `interruptAfterTimeLimit`, ...). */
  fastCheck?: Omit<fc.Parameters<[Iterable<UserCommand>, Schedule]>, 'numRuns' | 'seed'>;
}

/** What a passing check reports. */
export interface ConvergenceStats {
  readonly numRuns: number;
  readonly seed: number;
}

function outputKinds(options: ConvergenceOptions, sim: Simulation): Kind[] {
  const given = options.outputs;
  if (given !== undefined) {
    return given.map(
      (k): Kind =>
        'kind' in k && typeof k.kind === 'function'
          ? k.kind()
          : { namespace: (k as Kind).namespace, type: k.type },
    );
  }
  const seen = new Map<string, Kind>();
  for (const c of sim.controllers) {
    for (const o of c.outputs) {
      const kind = o.definition.kind();
      seen.set(`${kind.namespace}\0${kind.type}`, kind);
    }
  }
  return [...seen.values()];
}

/**
 * One run of the convergence property: start a simulation, apply the commands (faults on, the
 * schedule interleaving the runtime's work), heal, settle, then check the expectation and every
 * invariant. Throws a {@link ConvergenceError} whose report names what went wrong.
 */
export async function runConvergence(
  options: ConvergenceOptions,
  commands: Iterable<UserCommand>,
  schedule: Schedule,
): Promise<Simulation> {
  const sim = createSimulation({
    ...options.simulation,
    controllers: options.controllers,
    choices: schedule.choices(),
    ...(schedule.scheduler !== undefined ? { scheduler: schedule.scheduler } : {}),
    ...(options.faults !== undefined ? { faults: options.faults } : {}),
  });
  const model = new InputModel();
  const fail = (title: string, extra: Partial<FailureReport> = {}): never => {
    throw new ConvergenceError(sim.report(title, extra));
  };
  try {
    await sim.start();
    await fc.asyncModelRun(() => ({ model, real: sim }), commands);
    // The safety phase goes on past the last operation, so the last faults can land on a quiet system.
    await sim.interleave(options.safetySteps ?? 50);
    sim.heal();
    const settle = await sim.runUntilSettled(options.settle);
    const allowed = options.commands?.finalizers ?? ['user.converge.dev/hold'];
    const violations = await sim.violations({ allowedFinalizers: [...allowed, ...model.userFinalizers()] });
    if (!settle.settled) fail(`did not settle: ${settle.reason}`, { violations });
    let differences: Difference[] = [];
    if (options.expected !== undefined) {
      const actual: AnyResource[] = [];
      for (const kind of outputKinds(options, sim)) actual.push(...(await sim.user.list(kind)));
      differences = compareResources(actual, await options.expected(model), options.compare);
    }
    if (violations.length > 0 || differences.length > 0) {
      const title =
        differences.length > 0
          ? `did not converge: ${differences.length} resource(s) differ from the expectation`
          : `invariant broken: ${violations[0]!.invariant}`;
      fail(title, { violations, differences });
    }
    try {
      await options.check?.(sim, model);
    } catch (error) {
      fail('the check failed after settling', { error: errorText(error), violations });
    }
    return sim;
  } catch (error) {
    if (isConvergenceError(error)) throw error;
    return fail('the run failed', { error: errorText(error) });
  } finally {
    sim.dispose();
  }
}

/** The convergence property, for `fc.assert` / `fc.check` with parameters of your own. */
export function convergenceProperty(
  options: ConvergenceOptions,
): fc.IAsyncPropertyWithHooks<[Iterable<UserCommand>, Schedule]> {
  return fc.asyncProperty(
    userCommands(options.inputs, options.commands),
    scheduleArbitrary(options.schedule),
    async (commands, schedule) => {
      await runConvergence(options, commands, schedule);
    },
  );
}

/**
 * Checks that the controllers converge for every generated sequence of user commands, schedule and
 * faults: runs the property `numRuns` times; on failure shrinks to a minimal counterexample (fewest
 * operations, simplest schedule) and throws a {@link ConvergenceError} whose report holds the seed,
 * the replay command, the operations, the differing resources, broken invariants, every controller's
 * last reconcile and the event trace. Set `CONVERGE_REPLAY=seed:path` to replay a printed failure.
 *
 * @example
 * ```ts
 * await checkConvergence({
 *   controllers: () => [IntToStr],
 *   inputs: [Ints],
 *   expected: (model) => model.list(Ints).map((i) => Strs.make(i.metadata.id, { value: String(i.spec.value) })),
 *   faults: { writeConflict: 0.1, crash: 0.02 },
 * });
 * ```
 */
export async function checkConvergence(options: CheckConvergenceOptions): Promise<ConvergenceStats> {
  const replay = replayFromEnvironment();
  const parameters: fc.Parameters<[Iterable<UserCommand>, Schedule]> = {
    ...options.fastCheck,
    numRuns: options.numRuns ?? 100,
    ...(replay !== undefined ? { seed: replay.seed, path: replay.path } : {}),
    ...(replay === undefined && options.seed !== undefined ? { seed: options.seed } : {}),
  };
  const property = convergenceProperty(
    replay === undefined || replay.commands === ''
      ? options
      : { ...options, commands: { ...options.commands, replayPath: replay.commands } },
  );
  const details = await fc.check(property, parameters);
  if (!details.failed) return { numRuns: details.numRuns, seed: details.seed };
  const error = details.errorInstance;
  const base: FailureReport = isConvergenceError(error)
    ? error.report
    : {
        title: 'the property failed',
        decisions: String(details.counterexample?.[1] ?? ''),
        operations: [],
        differences: [],
        violations: [],
        controllers: {},
        trace: [],
        steps: 0,
        virtualMs: 0,
        error: errorText(error),
      };
  throw new ConvergenceError({
    ...base,
    title: `${base.title} (seed ${details.seed}, failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s))`,
    replay: replayCommand({
      seed: details.seed,
      path: details.counterexamplePath ?? '',
      commands: /replayPath="([^"]*)"/.exec(String(details.counterexample?.[0] ?? ''))?.[1] ?? '',
    }),
  });
}
