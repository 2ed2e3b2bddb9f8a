/**
 * Staged upgrades (Talos `--stage`): the image is written to META and installed by the next boot's
 * install sequence, before anything runs, for images that cannot be installed beside running
 * services.
 */
import type { BootPlatform, BootSlot } from '../../platform/boot.js';
import { type MetaStore, metaKeys } from '../../platform/disk/meta-store.js';
import { type NodeImage, parseNodeImage } from './node-image.js';
import { installUpgrade, type LifecycleHook } from './upgrade.js';

/** Whether an image waits in META for the next boot to install it. */
export function upgradeStaged(meta: MetaStore): boolean {
  return meta.get(metaKeys.stagedUpgradeImageRef) !== undefined;
}

/** Records `image` in META for the next boot; `previous` is the slot the node runs from. */
export async function stageUpgrade(meta: MetaStore, image: NodeImage, previous: BootSlot): Promise<void> {
  await meta.set(metaKeys.stagedUpgradeImageRef, JSON.stringify(image));
  await meta.set(metaKeys.stagedUpgradeInstallOptions, JSON.stringify({ stagedFrom: previous }));
}

/** The install sequence's task: installs the staged image as an upgrade from `running`. */
export async function installStagedUpgrade(
  loader: BootPlatform,
  meta: MetaStore,
  running: BootSlot,
  hook: (image: NodeImage) => LifecycleHook,
): Promise<void> {
  const image = parseNodeImage(meta.get(metaKeys.stagedUpgradeImageRef));
  // Cleared first: a crash from here on boots the old version, never a half-staged loop.
  await meta.delete(metaKeys.stagedUpgradeImageRef);
  await meta.delete(metaKeys.stagedUpgradeInstallOptions);
  await installUpgrade(loader, meta, running, image, hook(image));
}
