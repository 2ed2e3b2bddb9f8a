/**
 * Commits a pending upgrade once the new version runs and is ready, retrying a failed META write
 * (a full or failing disk) with backoff on the node's clock. Until it lands the marker stays, so a
 * fatal error still reverts; the failure shows once per streak, at warn, and its end at info.
 */
import type { Logger } from 'pino';
import type { MetaStore } from '../../platform/disk/meta-store.js';
import type { Clock } from '../../runtime/clock.js';
import { FailureStreak } from '../../runtime/controller/failure-streak.js';
import { sleep } from '../etcd/sleep.js';
import { commitUpgrade } from './upgrade.js';

/** The first retry of a failed commit waits this long; each next one twice as long, up to the cap. */
const commitRetryInitialMs = 1_000;
const commitRetryMaxMs = 60_000;

/** What {@link commitUpgradeWithRetry} needs. */
export interface UpgradeCommitOptions {
  readonly meta: MetaStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The version being committed, for the log. */
  readonly version: string;
  /** Aborts the retries: a reboot, rollback or shutdown took over. */
  readonly signal: AbortSignal;
  /** Runs once the marker is deleted (not when there was nothing to commit). */
  readonly onCommitted: () => Promise<void>;
}

/** The wait before retry number `failures`: exponential, capped; no jitter, one node retries alone. */
function commitRetryDelay(failures: number): number {
  return Math.min(commitRetryMaxMs, commitRetryInitialMs * 2 ** (failures - 1));
}

/**
 * Deletes the `Upgrade` marker, retrying until it lands. Resolves true once nothing is pending
 * (committed now, or nothing was), false when `signal` aborted first.
 */
export async function commitUpgradeWithRetry(options: UpgradeCommitOptions): Promise<boolean> {
  const { meta, clock, logger, version, signal } = options;
  const streak = new FailureStreak(clock);
  for (;;) {
    if (signal.aborted) return false;
    let committed: boolean;
    try {
      committed = await commitUpgrade(meta);
    } catch (error) {
      const retryInMs = commitRetryDelay(streak.attempts + 1);
      // Running and ready, but the marker stays: a later fatal error would still revert.
      streak.failed(logger, `committing ${version} failed`, error, {
        attempt: streak.attempts + 1,
        retryInMs,
      });
      if (!(await sleep(clock, retryInMs, signal))) return false;
      continue;
    }
    streak.recovered(logger, `committed ${version} after failed attempts`);
    if (committed) await options.onCommitted();
    return true;
  }
}
