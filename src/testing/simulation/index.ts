/** Deterministic simulation and property-based tests of convergence. */
export {
  type CheckConvergenceOptions,
  type ConvergenceOptions,
  type ConvergenceStats,
  checkConvergence,
  convergenceProperty,
  runConvergence,
} from './check-convergence.js';
export {
  type CommandTarget,
  createInputModel,
  type OperationWeights,
  type UserCommand,
  type UserCommandOptions,
  userCommands,
} from './commands.js';
export {
  type FaultKind,
  type FaultRates,
  InjectedFault,
  isInjectedFault,
  noFaults,
  type ResolvedFaultRates,
  resolveFaultRates,
} from './faults.js';
export type { SimulationRuntimeOptions } from './incarnation.js';
export { InputModel, type ModelEntry } from './input-model.js';
export {
  checkSettledResources,
  InvariantMonitor,
  type InvariantName,
  type InvariantOptions,
  type LastReconcile,
  type ReconcileRun,
  type RunOutcome,
  type SettledCheckOptions,
  type Violation,
} from './invariants.js';
export { type CompareOptions, compareResources, type Difference } from './oracle.js';
export { type Replay, replayCommand, replayFromEnvironment, replayVariable } from './replay.js';
export {
  type ControllerSummary,
  ConvergenceError,
  type FailureReport,
  formatFailureReport,
  isConvergenceError,
} from './report.js';
export { Schedule, type ScheduleArbitraryOptions, type ScheduleKind, scheduleArbitrary } from './schedule.js';
export {
  type Choices,
  choiceRange,
  type SeededRandom,
  scriptedChoices,
  seededChoices,
  seededRandom,
} from './seeded-random.js';
export type { SettleOptions, SettleResult } from './settle.js';
export {
  createSimScheduler,
  fastCheckSimScheduler,
  type SchedulerTask,
  type SimScheduler,
  scheduledFunction,
  scopedScheduler,
  type TaskScheduler,
  type TaskScope,
} from './sim-scheduler.js';
export {
  createSimulatedState,
  type SimulatedState,
  type SimulatedStateOptions,
  type StateFaultRates,
} from './simulated-state.js';
export { type ControllerSet, createSimulation, Simulation, type SimulationOptions } from './simulation.js';
export { Trace, type TraceEntry, type TraceKind } from './trace.js';
export {
  arbitraryFromSchema,
  SchemaArbitraryError,
  type SchemaArbitraryOptions,
  specArbitrary,
} from './zod-arbitrary.js';
