/** The controller runtime: declarations, the runtime, generic controllers. */
export type { BackoffOptions } from './backoff.js';
export {
  type AnyControllerDefinition,
  type ControllerDefinition,
  type ControllerOptions,
  defineController,
  defineQController,
  type QControllerDefinition,
  type QControllerOptions,
  type ReconcileReturn,
} from './define-controller.js';
export type {
  DependencyEdge,
  DependencyEdgeType,
  DependencyGraph,
  DependencySource,
} from './dependency-graph.js';
export { type ExternalSource, source } from './external-source.js';
export type { DefinitionRef } from './generic-support.js';
export {
  type AnyInput,
  type ControllerInput,
  type ControllerOutput,
  type InputKind,
  type InputOptions,
  input,
  type MapInput,
  type MapResult,
  type OutputKind,
  output,
  type QControllerInput,
  type QInputKind,
} from './inputs.js';
export { type MergeControllerOptions, mergeController } from './merge.js';
export type { ControllerMetrics, KindMetrics, ReconcileOutcome, RuntimeMetrics } from './metrics.js';
export type { WriteRateLimit } from './rate-limit.js';
export type { MapContext, ReadContext } from './read-context.js';
export type {
  ContextOp,
  QReconcileContext,
  ReconcileContext,
  ReconcileResult,
  WriteOptions,
} from './reconcile-context.js';
export { isRegistrationError, RegistrationError } from './registration.js';
export type { ReconcileEvent } from './runner.js';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export type { RuntimeScheduler, RuntimeTask } from './scheduler.js';
export type { FailingController, SettledOptions, SettledResult } from './settled.js';
export type { SourceMetrics } from './source-watch.js';
export { type TransformControllerOptions, type TransformInput, transformController } from './transform.js';
