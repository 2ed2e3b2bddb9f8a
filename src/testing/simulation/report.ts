import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import type { ControllerMetrics } from '../../runtime/controller/metrics.js';
import type { LastReconcile, Violation } from './invariants.js';
import type { Difference } from './oracle.js';

/** What a failure report says about one controller. */
export interface ControllerSummary {
  /** Its last reconcile, as the simulation saw it. */
  readonly last?: LastReconcile;
  /** The current runtime's counters. */
  readonly reconciles?: number;
  readonly errors?: number;
}

/** Each controller's last reconcile and, while its runtime lives, its counters. @internal */
export function summarizeControllers(
  controllers: readonly AnyControllerDefinition[],
  metrics: Readonly<Record<string, ControllerMetrics>>,
  lastReconcile: ReadonlyMap<string, LastReconcile>,
): Record<string, ControllerSummary> {
  const out: Record<string, ControllerSummary> = {};
  for (const c of controllers) {
    const m = metrics[c.name];
    const last = lastReconcile.get(c.name);
    out[c.name] = {
      ...(last !== undefined ? { last } : {}),
      ...(m !== undefined ? { reconciles: m.reconciles, errors: m.errors } : {}),
    };
  }
  return out;
}

/** Everything a failed run leaves for the person who has to fix it. */
export interface FailureReport {
  /** One line: what went wrong. */
  readonly title: string;
  /** Where the run's decisions came from (`seed 42`, `script of 300 choices`). */
  readonly decisions: string;
  /** The command that replays the run, when known. */
  readonly replay?: string;
  /** The user operations, in order. */
  readonly operations: readonly string[];
  /** Resources that differ from the expectation. */
  readonly differences: readonly Difference[];
  /** Invariants that broke. */
  readonly violations: readonly Violation[];
  /** The last reconcile outcome of every controller. */
  readonly controllers: Readonly<Record<string, ControllerSummary>>;
  /** The tail of the event trace. */
  readonly trace: readonly string[];
  readonly steps: number;
  /** Virtual milliseconds the run took. */
  readonly virtualMs: number;
  /** An error that ended the run, if any. */
  readonly error?: string;
}

const indent = (lines: readonly string[]) => lines.map((l) => `  ${l}`);

/** Formats a report as the text a failing test prints. */
export function formatFailureReport(report: FailureReport, options: { traceLines?: number } = {}): string {
  const out: string[] = [`convergence failure: ${report.title}`];
  out.push(`decisions: ${report.decisions}; ${report.steps} steps, ${report.virtualMs} ms of virtual time`);
  if (report.replay !== undefined) out.push(`replay: ${report.replay}`);
  if (report.error !== undefined) out.push(`error: ${report.error}`);
  out.push(
    `operations (${report.operations.length}):`,
    ...indent(report.operations.map((o, i) => `${i + 1}. ${o}`)),
  );
  if (report.differences.length > 0) {
    out.push(
      `resources that differ from the expectation (${report.differences.length}):`,
      ...indent(report.differences.map((d) => `${d.kind} ${d.pointer}: ${d.detail}`)),
    );
  }
  if (report.violations.length > 0) {
    out.push(
      `invariants broken (${report.violations.length}):`,
      ...indent(
        report.violations.map(
          (v) => `${v.invariant}${v.step === undefined ? '' : ` at step ${v.step}`}: ${v.message}`,
        ),
      ),
    );
  }
  const names = Object.keys(report.controllers).sort();
  if (names.length > 0) {
    out.push(
      'controllers (last reconcile):',
      ...indent(
        names.map((name) => {
          const c = report.controllers[name]!;
          const last = c.last;
          const lastText =
            last === undefined
              ? 'never reconciled'
              : `${last.outcome}${last.key === name ? '' : ` ${last.key}`} at step ${last.step}` +
                (last.error !== undefined ? ` (${last.error})` : '') +
                (last.requeueAfter !== undefined ? ` (requeue ${last.requeueAfter} ms)` : '');
          const counts =
            c.reconciles === undefined
              ? ''
              : `; this runtime: ${c.reconciles} reconciles, ${c.errors ?? 0} errors`;
          return `${name}: ${lastText}${counts}`;
        }),
      ),
    );
  }
  const trace = report.trace.slice(-(options.traceLines ?? 60));
  if (trace.length > 0) out.push(`trace (last ${trace.length} entries):`, ...indent(trace));
  return out.join('\n');
}

/** A run that did not converge, or broke an invariant; `report` has the details. */
export class ConvergenceError extends Error {
  constructor(readonly report: FailureReport) {
    super(formatFailureReport(report));
    this.name = 'ConvergenceError';
  }
}

/** True for {@link ConvergenceError}. */
export const isConvergenceError = (error: unknown): error is ConvergenceError =>
  error instanceof ConvergenceError;
