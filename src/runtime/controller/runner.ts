import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Pointer } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';
import type { State } from '../state/state.js';
import type { AccessPolicy } from './access-policy.js';
import type { BackoffPolicy } from './backoff.js';
import type { ContextHost } from './context.js';
import type { ExternalSource } from './external-source.js';
import type { AnyInput, ControllerOutput } from './inputs.js';
import type { KindChange } from './kind-watch.js';
import type { ControllerMetrics, ReconcileOutcome } from './metrics.js';
import type { TokenBucket } from './rate-limit.js';

/** What `experimental_onReconcile` reports: the start and the end of every reconcile (and map call). */
export interface ReconcileEvent {
  readonly controller: string;
  /** Queue controllers: the item, `type(namespace/id)`; map calls are prefixed with `map:`. */
  readonly key?: string;
  readonly phase: 'start' | 'end';
  /** On `end` of a failed run. */
  readonly error?: unknown;
  /** On `end`: whether the run completed, failed, or was aborted (stop or teardown of its item). */
  readonly outcome?: ReconcileOutcome;
}

/** What a controller runner needs from the runtime. @internal */
export interface RunnerHost {
  readonly state: State;
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  readonly limiter: TokenBucket | undefined;
  /** Hands a runnable unit to the scheduler (counted until it runs). */
  schedule(label: string, run: () => void): void;
  /** A runner reports whether it has running or runnable work. */
  setBusy(runner: Runner, busy: boolean): void;
  /** Internal async work in progress (counts against `settled()`). */
  busy(delta: 1 | -1): void;
  /** Reports a reconcile start or end to the experimental hook. */
  report(event: ReconcileEvent): void;
  /** Checks and applies `ctx.updateInputs`. */
  updateInputs(runner: Runner, inputs: readonly AnyInput[]): void;
  /** The last value the runtime's watch of the kind knows for an id. */
  known(namespace: string, type: string, id: string): AnyResource | undefined;
}

/** A registered controller, full or queue. @internal */
export interface Runner {
  readonly name: string;
  readonly controllerType: 'full' | 'queue';
  readonly logger: Logger;
  readonly outputs: readonly ControllerOutput[];
  readonly sources: readonly ExternalSource[];
  inputs: readonly AnyInput[];
  /** One of the controller's external sources emitted. */
  sourceChanged(): void;
  /** A change of one id arrived through one of the controller's inputs. */
  trigger(input: AnyInput, change: KindChange): void;
  /**
   * The runner's own bookkeeping (a finalizer on one of its inputs) is about to write these ids:
   * their change events, if they are exactly what the write stored, do not wake the runner again.
   * Call the returned function with the stored values in order, or `undefined` if the write failed.
   */
  beginOwnWrites?(targets: readonly Pointer[]): (stored: readonly (AnyResource | null)[] | undefined) => void;
  /** Events of an input's kind were lost and the kind re-listed: look again as after a change. */
  resync(input: AnyInput): void;
  /** The runtime started (or the controller was registered after start). */
  start(): void;
  /** Inputs were replaced: rebuild access rules, react to new kinds. */
  inputsChanged(added: readonly AnyInput[]): void;
  /** Aborts running work, cancels timers, resolves when running work has returned. */
  stop(): Promise<void>;
  /** Failed reconciles in a row now (0 when healthy): cheaper than {@link metrics} for `settled()`. */
  failures(): number;
  metrics(): ControllerMetrics;
}

/** What every reconcile context of a runner needs: its store, identity, outputs and access rules. @internal */
export function contextHostOf(runner: Runner, host: RunnerHost, policy: () => AccessPolicy): ContextHost {
  return {
    state: host.state,
    controller: runner.name,
    outputs: () => runner.outputs,
    policy,
    limiter: host.limiter,
    logger: runner.logger,
    updateInputs: (inputs) => host.updateInputs(runner, inputs),
    local: { made: false },
    ...(runner.beginOwnWrites
      ? { beginOwnWrites: (targets: readonly Pointer[]) => runner.beginOwnWrites!(targets) }
      : {}),
  };
}
