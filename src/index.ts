/**
 * converge: a resource reconciliation engine in the style of the COSI runtime. This entry holds
 * resources, state and the runtime; the etcd backend is `converge/etcd`, the HTTPS API, remote
 * client and certificates `converge/api`, and test helpers `converge/testing`.
 *
 * @packageDocumentation
 */

// Time
export { type Clock, type TimerHandle, wallClock } from './runtime/clock.js';

// Controllers and the runtime
export {
  type AnyControllerDefinition,
  type AnyInput,
  type BackoffOptions,
  type ContextOp,
  type ControllerDefinition,
  type ControllerInput,
  type ControllerMetrics,
  type ControllerOptions,
  type ControllerOutput,
  createRuntime,
  type DefinitionRef,
  type DependencyEdge,
  type DependencyEdgeType,
  type DependencyGraph,
  type DependencySource,
  defineController,
  defineQController,
  type ExternalSource,
  type FailingController,
  type InputKind,
  type InputOptions,
  input,
  isRegistrationError,
  type KindMetrics,
  type MapContext,
  type MapInput,
  type MapResult,
  type MergeControllerOptions,
  mergeController,
  type OutputKind,
  output,
  type QControllerDefinition,
  type QControllerInput,
  type QControllerOptions,
  type QInputKind,
  type QReconcileContext,
  type ReadContext,
  type ReconcileContext,
  type ReconcileEvent,
  type ReconcileOutcome,
  type ReconcileResult,
  type ReconcileReturn,
  RegistrationError,
  type Runtime,
  type RuntimeMetrics,
  type RuntimeOptions,
  type RuntimeScheduler,
  type RuntimeTask,
  type SettledOptions,
  type SettledResult,
  type SourceMetrics,
  source,
  type TransformControllerOptions,
  type TransformInput,
  transformController,
  type WriteOptions,
  type WriteRateLimit,
} from './runtime/controller/index.js';

// Errors
export {
  AccessError,
  ConflictError,
  type ErrorSubject,
  InvalidBookmarkError,
  isAccessError,
  isConflictError,
  isInvalidBookmarkError,
  isNotFoundError,
  isOverrunError,
  isOwnerConflictError,
  isPhaseConflictError,
  isUnsupportedError,
  isValidationError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
  RuntimeError,
  type RuntimeErrorCode,
  UnsupportedError,
  undefinedIfNotFound,
  ValidationError,
  type ValidationIssue,
} from './runtime/errors.js';

// Resources
export {
  type AnyResourceDefinition,
  defineResource,
  listDefinitions,
  lookupDefinition,
  type PrintColumn,
  type ResourceDefinition,
  type ResourceDefinitionOptions,
} from './runtime/resource/define-resource.js';
export type { DefinitionLookup, RegisteredDefinition } from './runtime/resource/definition-registry.js';
// YAML, manifests and diffs
export { diffResources, type PatchOperation } from './runtime/resource/diff.js';
export { deepEqual, equalResources } from './runtime/resource/equality.js';
export {
  type LoadManifestsResult,
  loadManifests,
  ManifestError,
  type ManifestIssue,
  resolveDefinition,
  safeLoadManifests,
} from './runtime/resource/manifests.js';
export {
  definitionMatchesName,
  metaNamespace,
  Namespaces,
  ResourceDefinitions,
} from './runtime/resource/meta.js';
export type { Metadata, Phase } from './runtime/resource/metadata.js';
export {
  formatPointer,
  type Kind,
  makePointer,
  type Pointer,
  pointerOf,
} from './runtime/resource/pointer.js';
export {
  type AnyResource,
  isTombstone,
  type MakeOptions,
  makeTombstone,
  type Resource,
  type ResourceOf,
  type SpecInputOf,
  type SpecOf,
  type Tombstone,
} from './runtime/resource/resource.js';
export {
  type PrintOptions,
  resourcesToYaml,
  resourceToObject,
  resourceToYaml,
} from './runtime/resource/yaml.js';

// State
export { type CreateStateOptions, createState } from './runtime/state/create-state.js';
export type { HistoryOptions } from './runtime/state/history.js';
export {
  type LabelOp,
  type LabelQuery,
  type LabelTerm,
  type LabelTermOptions,
  label,
  matchesLabelQuery,
} from './runtime/state/label-query.js';
export type {
  CoreState,
  CreateOptions,
  ListOptions,
  OwnerOptions,
  ResourceRecipe,
  State,
  TransactionOp,
  TransactionResult,
  UpdateOptions,
  WatchForConditions,
  WatchKindOptions,
  WatchOptions,
} from './runtime/state/state.js';
export { withStateHelpers } from './runtime/state/state-helpers.js';
export type {
  BootstrappedEvent,
  CreatedEvent,
  DestroyedEvent,
  NoopEvent,
  ResourceEvent,
  UpdatedEvent,
  WatchEvent,
  WatchEventType,
} from './runtime/state/watch-event.js';
