import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import { formatPointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import type { WriteRecord } from './observed-state.js';

/** The invariants a simulation checks. */
export type InvariantName =
  | 'concurrentReconcile'
  | 'undeclaredWrite'
  | 'stuckTearingDown'
  | 'orphanFinalizer'
  | 'reconcileStorm'
  | 'stuck'
  | 'notSettled'
  | 'runtimeError';

/** A broken invariant: which one, and what happened, in words that name the resources and controllers. */
export interface Violation {
  readonly invariant: InvariantName;
  readonly message: string;
  /** The scheduler step it was seen at. */
  readonly step?: number;
}

/** How a reconcile ended. */
export type RunOutcome = 'ok' | 'requeue' | 'error' | 'abandoned';

/** The last reconcile of a controller, for failure reports. */
export interface LastReconcile {
  readonly key: string;
  readonly outcome: RunOutcome;
  readonly step: number;
  /** The error message, for `error`. */
  readonly error?: string;
  /** The delay, for `requeue`. */
  readonly requeueAfter?: number;
}

/** A reconcile in flight, as returned by {@link InvariantMonitor.begin}. */
export interface ReconcileRun {
  readonly controller: string;
  readonly key: string;
  readonly incarnation: number;
  /** How many store calls it made so far. */
  calls: number;
  open: boolean;
}

/** Options of {@link InvariantMonitor}. */
export interface InvariantOptions {
  /** Reconciles of one key since the last input change that count as a storm (default 100). */
  stormThreshold?: number;
  /** Finalizers that are not controller names but are allowed to stay (users' own). */
  allowedFinalizers?: Iterable<string>;
}

/** The output types of each controller, by name. */
function declaredOutputs(controllers: readonly AnyControllerDefinition[]): Map<string, Set<string>> {
  return new Map(controllers.map((c) => [c.name, new Set(c.outputs.map((o) => o.type))]));
}

/**
 * Checks the step-level invariants as a run goes (one key never reconciled concurrently with itself,
 * controllers write only the types they declare, no reconcile storm) and remembers each controller's
 * last outcome. Feed it reconcile begins and ends and the store's writes.
 */
export class InvariantMonitor {
  /** Every violation seen so far, in order. */
  readonly violations: Violation[] = [];
  /** The last reconcile of each controller, by name. */
  readonly lastReconcile = new Map<string, LastReconcile>();
  readonly #running = new Map<string, ReconcileRun>();
  readonly #sinceInput = new Map<string, number>();
  readonly #writesSinceInput = new Map<string, Map<string, number>>();
  readonly #stormThreshold: number;
  #outputs: Map<string, Set<string>>;
  #stormReported = false;
  /** The current scheduler step, stamped on violations. */
  step = 0;

  constructor(controllers: readonly AnyControllerDefinition[], options: InvariantOptions = {}) {
    this.#outputs = declaredOutputs(controllers);
    this.#stormThreshold = options.stormThreshold ?? 100;
    if (!(this.#stormThreshold >= 1)) throw new RangeError('stormThreshold must be >= 1');
  }

  /** Replaces the controller set (a runtime restarted with other controllers). */
  setControllers(controllers: readonly AnyControllerDefinition[]): void {
    this.#outputs = declaredOutputs(controllers);
  }

  #violate(invariant: InvariantName, message: string): void {
    this.violations.push({ invariant, message, step: this.step });
  }

  /** A reconcile of `key` (the controller name for full controllers) starts. */
  begin(controller: string, key: string, incarnation: number): ReconcileRun {
    const id = `${controller}\0${key}`;
    const other = this.#running.get(id);
    if (other?.open) {
      this.#violate(
        'concurrentReconcile',
        `${controller} started reconciling ${key} while its previous reconcile of ${key} was still running`,
      );
    }
    const run: ReconcileRun = { controller, key, incarnation, calls: 0, open: true };
    this.#running.set(id, run);
    const count = (this.#sinceInput.get(id) ?? 0) + 1;
    this.#sinceInput.set(id, count);
    if (count > this.#stormThreshold && !this.#stormReported) {
      this.#stormReported = true;
      const writes = [...(this.#writesSinceInput.get(controller) ?? new Map<string, number>())]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([p, n]) => `${p} x${n}`);
      this.#violate(
        'reconcileStorm',
        `reconcile storm: ${controller} reconciled ${key} ${count} times since the last input change; ` +
          `it keeps re-triggering itself (its writes meanwhile: ${writes.join(', ') || 'none'})`,
      );
    }
    return run;
  }

  /** A reconcile ended (or was abandoned by a crash). */
  end(run: ReconcileRun, outcome: RunOutcome, detail: { error?: unknown; requeueAfter?: number } = {}): void {
    if (!run.open) return;
    run.open = false;
    const id = `${run.controller}\0${run.key}`;
    if (this.#running.get(id) === run) this.#running.delete(id);
    const last: { -readonly [K in keyof LastReconcile]: LastReconcile[K] } = {
      key: run.key,
      outcome,
      step: this.step,
    };
    if (detail.error !== undefined) last.error = errorText(detail.error);
    if (detail.requeueAfter !== undefined) last.requeueAfter = detail.requeueAfter;
    this.lastReconcile.set(run.controller, last);
  }

  /** Every open reconcile of a crashed incarnation is abandoned. */
  abandon(incarnation: number): void {
    for (const run of [...this.#running.values()])
      if (run.incarnation === incarnation) this.end(run, 'abandoned');
  }

  /** Reconciles still open (a settled run with open reconciles is stuck). */
  open(): ReconcileRun[] {
    return [...this.#running.values()].filter((r) => r.open);
  }

  /** An input changed (a user operation, a restart): reconcile counts start over. */
  inputChanged(): void {
    this.#sinceInput.clear();
    this.#writesSinceInput.clear();
  }

  /** A write reached the store. */
  write(write: WriteRecord): void {
    const outputs = this.#outputs.get(write.owner);
    if (outputs === undefined) return;
    const label = formatPointer(write.pointer);
    let perController = this.#writesSinceInput.get(write.owner);
    if (perController === undefined) {
      perController = new Map();
      this.#writesSinceInput.set(write.owner, perController);
    }
    perController.set(label, (perController.get(label) ?? 0) + 1);
    if (!outputs.has(write.pointer.type)) {
      this.#violate(
        'undeclaredWrite',
        `${write.owner} wrote (${write.op}) ${label}, a type it does not declare as an output`,
      );
    }
  }

  /** Records a violation found elsewhere (a runtime access check that let a write through, a stuck run). */
  report(invariant: InvariantName, message: string): void {
    this.#violate(invariant, message);
  }
}

/** Options of {@link checkSettledResources}. */
export interface SettledCheckOptions {
  /** Names of the controllers that exist now. */
  controllers: Iterable<string>;
  /** Finalizers that belong to users or other systems and may legitimately remain. */
  allowedFinalizers?: Iterable<string>;
}

/**
 * The invariants of a settled store: no resource is left `tearingDown` with a controller's finalizer
 * or by a controller that owns it, and no finalizer belongs to a controller that does not exist.
 */
export function checkSettledResources(
  resources: Iterable<AnyResource>,
  options: SettledCheckOptions,
): Violation[] {
  const controllers = new Set(options.controllers);
  const allowed = new Set(options.allowedFinalizers ?? []);
  const out: Violation[] = [];
  for (const r of resources) {
    const { metadata } = r;
    const label = formatPointer(metadata);
    const orphans = metadata.finalizers.filter((f) => !controllers.has(f) && !allowed.has(f));
    if (orphans.length > 0) {
      out.push({
        invariant: 'orphanFinalizer',
        message: `${label} carries finalizer(s) ${orphans.join(', ')} of no running controller`,
      });
    }
    if (metadata.phase !== 'tearingDown') continue;
    const holders = metadata.finalizers.filter((f) => controllers.has(f));
    if (holders.length > 0) {
      out.push({
        invariant: 'stuckTearingDown',
        message: `${label} is left tearingDown: finalizer(s) ${holders.join(', ')} were never removed`,
      });
    } else if (controllers.has(metadata.owner) && metadata.finalizers.length === 0) {
      out.push({
        invariant: 'stuckTearingDown',
        message: `${label} is left tearingDown with no finalizers: its owner ${metadata.owner} never destroyed it`,
      });
    }
  }
  return out;
}

/** A one-line description of an error. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
