import type { VirtualClock } from '../virtual-clock.js';
import type { DriveEnd } from './drive.js';
import type { InvariantMonitor } from './invariants.js';

/** Options of `Simulation.runUntilSettled`. */
export interface SettleOptions {
  /** Virtual milliseconds allowed to settle (default 600,000). */
  within?: number;
  /** Virtual milliseconds without a write that count as settled while only timers remain (default 120,000). */
  quietMs?: number;
  /** Steps allowed (default 200,000). */
  maxSteps?: number;
}

/** The outcome of `Simulation.runUntilSettled`. */
export interface SettleResult {
  /** True when nothing was runnable and nothing changed for the quiet period, within the limits. */
  readonly settled: boolean;
  /** Why it did not settle. */
  readonly reason?: string;
  /** Steps taken while settling. */
  readonly steps: number;
  /** Virtual milliseconds it took. */
  readonly elapsedMs: number;
}

/** What settling needs from a simulation. @internal */
export interface SettleHost {
  readonly clock: VirtualClock;
  readonly monitor: InvariantMonitor;
  /** Writes that reached the store so far. */
  writes(): number;
  /** Tasks waiting to run. */
  pending(): number;
  /** A crash is waiting for the next runtime to start. */
  crashed(): boolean;
  /** Steps taken so far. */
  steps(): number;
  /** Steps until `done()`, moving time to the next timer when nothing is runnable. */
  drive(done: () => boolean, limits: { deadline: number; maxSteps: number }): Promise<DriveEnd>;
}

/**
 * The convergence oracle's clock: runs until nothing is runnable and no timer is due, or only
 * timers remain and nothing was written for `quietMs`; a storm ends it early, a reconcile that
 * never finishes makes it fail. @internal
 */
export async function settle(host: SettleHost, options: SettleOptions): Promise<SettleResult> {
  const { clock, monitor } = host;
  const within = options.within ?? 600_000;
  const quietMs = options.quietMs ?? 120_000;
  const maxSteps = options.maxSteps ?? 200_000;
  const started = clock.now();
  const firstStep = host.steps();
  let writes = host.writes();
  let quietSince = started;
  const storm = () => monitor.violations.some((v) => v.invariant === 'reconcileStorm');
  const end = await host.drive(
    () => {
      if (host.writes() !== writes) {
        writes = host.writes();
        quietSince = clock.now();
      }
      if (storm()) return true;
      return (
        host.pending() === 0 &&
        !host.crashed() &&
        monitor.open().length === 0 &&
        clock.now() - quietSince >= quietMs
      );
    },
    { deadline: started + within, maxSteps },
  );
  const result = (settled: boolean, reason?: string): SettleResult => ({
    settled,
    ...(reason !== undefined ? { reason } : {}),
    steps: host.steps() - firstStep,
    elapsedMs: clock.now() - started,
  });
  if (storm()) return result(false, 'a reconcile storm');
  const open = monitor.open();
  if (end === 'idle' && open.length > 0) {
    for (const run of open) {
      monitor.report(
        'stuck',
        `${run.controller}'s reconcile of ${run.key} never finished: it waits on something the simulation does not drive`,
      );
    }
    return result(false, `${open.length} reconcile(s) never finished`);
  }
  if (end === 'done' || end === 'idle') return result(true);
  // Nothing runnable and the next timer beyond the window: nothing would change within it.
  if (end === 'deadline' && host.pending() === 0 && open.length === 0) return result(true);
  const reason =
    end === 'deadline'
      ? `still changing after ${within} ms of virtual time`
      : `still busy after ${maxSteps} steps`;
  monitor.report('notSettled', `the runtime did not settle: ${reason}`);
  return result(false, reason);
}
