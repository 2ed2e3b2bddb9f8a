/**
 * Atomic A/B upgrades that revert by themselves (research §5.5). The order of the writes is what
 * makes every crash safe: the new slot first, then the `Upgrade` marker in META, then the default
 * flip. A crash before the flip boots the old slot; after it, the marker makes a failing new
 * version revert. The marker is deleted (commit) once the node is running and ready.
 */
import { type BootPlatform, type BootSlot, otherSlot } from '../../platform/boot.js';
import { type MetaStore, metaKeys } from '../../platform/disk/meta-store.js';
import type { NodeImage } from './node-image.js';

/** The steps of an upgrade, in order; crash tests stop the process at each one. */
export const upgradeSteps = ['slot-written', 'marker-written', 'default-flipped'] as const;

/** Observes the steps of an upgrade or a revert. */
export type LifecycleHook = (step: string) => void | Promise<void>;

/** An upgrade cannot be done now; nothing was changed. */
export class UpgradeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeRefusedError';
  }
}

/** What the installer did. */
export interface InstallResult {
  /** The slot the new image was written to (the next boot's default). */
  readonly slot: BootSlot;
  /** The slot to revert to: the one the node runs from. */
  readonly previous: BootSlot;
}

/**
 * Writes `image` to the slot the node is not running from and makes it the default, recording the
 * running slot in META `Upgrade`. Refuses while an earlier upgrade is not committed, because the
 * slot it would overwrite is then the last one known to boot (talos#10364).
 */
export async function installUpgrade(
  boot: BootPlatform,
  meta: MetaStore,
  booted: BootSlot,
  image: NodeImage,
  hook?: LifecycleHook,
): Promise<InstallResult> {
  const pending = meta.get(metaKeys.upgrade);
  if (pending !== undefined) {
    throw new UpgradeRefusedError(
      `an upgrade from slot ${pending} is not committed yet: wait until the node is running and ready (or roll back)`,
    );
  }
  const slot = otherSlot(booted);
  await boot.writeSlot(slot, { version: image.version, image: JSON.stringify(image) });
  await hook?.('slot-written');
  await meta.set(metaKeys.upgrade, booted);
  await hook?.('marker-written');
  await boot.setDefault(slot);
  await hook?.('default-flipped');
  return { slot, previous: booted };
}

/**
 * On a fatal error while an upgrade is not committed: makes the recorded slot the default again
 * and deletes the marker. Returns the slot reverted to, or `undefined` when nothing was pending.
 */
export async function revertIfUpgradePending(
  boot: BootPlatform,
  meta: MetaStore,
  hook?: LifecycleHook,
): Promise<BootSlot | undefined> {
  const previous = meta.get(metaKeys.upgrade);
  if (previous !== 'A' && previous !== 'B') return undefined;
  await boot.setDefault(previous);
  await hook?.('default-reverted');
  await meta.delete(metaKeys.upgrade);
  await hook?.('marker-deleted');
  return previous;
}

/** Commits a pending upgrade: the running version is now the one to keep. True when there was one. */
export async function commitUpgrade(meta: MetaStore): Promise<boolean> {
  if (meta.get(metaKeys.upgrade) === undefined) return false;
  await meta.delete(metaKeys.upgrade);
  return true;
}

/**
 * A rollback on purpose: the other slot becomes the default (refused when it holds nothing). It
 * is guarded like an upgrade: the running slot is recorded in META `Upgrade` first, so an image
 * there that no longer boots (a failed upgrade left it) reverts to this one instead of leaving the
 * node with nothing that boots. With an upgrade pending, rolling back is reverting it.
 */
export async function rollback(
  boot: BootPlatform,
  meta: MetaStore,
  booted: BootSlot,
  hook?: LifecycleHook,
): Promise<BootSlot> {
  const reverted = await revertIfUpgradePending(boot, meta, hook);
  if (reverted !== undefined) return reverted;
  const target = otherSlot(booted);
  const state = await boot.state();
  if (state.versions[target] === undefined) {
    throw new UpgradeRefusedError(`nothing to roll back to: slot ${target} holds no image`);
  }
  await meta.set(metaKeys.upgrade, booted);
  await hook?.('marker-written');
  await boot.setDefault(target);
  await hook?.('default-flipped');
  return target;
}
