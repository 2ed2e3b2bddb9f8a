/**
 * The install of a fresh disk (Talos' install sequence on an empty system disk): the given config
 * to STATE and the history first, then the image to slot A, so a crash before the slot is written
 * simply installs again.
 */
import type { BootPlatform } from '../../platform/boot.js';
import type { DiskPlatform } from '../../platform/disk.js';
import type { Clock } from '../../runtime/clock.js';
import type { ConfigHistory } from '../config-history/config-history.js';
import type { NodeImage } from './node-image.js';
import { readPersistedConfig, writePersistedConfig } from './persisted-config.js';

/** What an install writes, and where. */
export interface InstallDiskOptions {
  readonly image: NodeImage;
  readonly config?: string;
  readonly disk: DiskPlatform;
  readonly loader: BootPlatform;
  readonly history: ConfigHistory;
  readonly clock: Clock;
}

/** Installs a fresh disk: its first config (when given) and its image in slot A, the default. */
export async function installDisk(options: InstallDiskOptions): Promise<void> {
  const { config, image, disk, loader, history } = options;
  if (config !== undefined && (await readPersistedConfig(disk)) !== config) {
    if ((await history.list()).at(-1)?.config !== config) {
      const time = new Date(options.clock.now()).toISOString();
      await history.append({ time, by: 'install', mode: 'install', config });
    }
    await writePersistedConfig(disk, config);
  }
  await loader.writeSlot('A', { version: image.version, image: JSON.stringify(image) });
  await loader.setDefault('A');
}
