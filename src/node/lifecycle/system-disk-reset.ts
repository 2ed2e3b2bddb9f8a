/**
 * The wipe of a reset: EPHEMERAL, then STATE, then the META marker that says a wipe has begun.
 * The marker is written before the first wipe, so a crash part-way finishes the reset at the next
 * boot instead of booting a half-wiped node.
 */

import type { MetaStore } from '../../platform/disk/meta-store.js';
import type { DiskPlatform } from '../../platform/disk.js';

/** META key of a reset that has begun wiping: the next boot finishes it. */
const resetPendingKey = 'ResetPending';

/** Publishes one step of the reset. */
type ResetStep = (step: string, message: string) => Promise<void>;

/** Whether a reset began wiping and did not finish (a crash or a power loss stopped it). */
export function resetPending(meta: MetaStore): boolean {
  return meta.get(resetPendingKey) !== undefined;
}

/** Records that the wipe begins (`graceful` or `forced`), then wipes. */
export async function resetSystemDisk(
  disk: DiskPlatform,
  meta: MetaStore,
  graceful: boolean,
  step: ResetStep,
): Promise<void> {
  await meta.set(resetPendingKey, graceful ? 'graceful' : 'forced');
  await step('reset-marked', 'reset of STATE and EPHEMERAL begins');
  await wipeSystemDisk(disk, meta, step);
}

/** Wipes EPHEMERAL then STATE, then clears the reset marker (idempotent: a crash repeats it). */
export async function wipeSystemDisk(disk: DiskPlatform, meta: MetaStore, step: ResetStep): Promise<void> {
  await disk.wipe('EPHEMERAL');
  await step('ephemeral-wiped', 'EPHEMERAL wiped');
  await disk.wipe('STATE');
  await step('state-wiped', 'STATE wiped');
  await meta.delete(resetPendingKey);
  await step('reset-finished', 'reset done: the node boots into maintenance');
}
