/**
 * Boot slots as files of the BOOT partition: `slot-A.json`, `slot-B.json` and `loader.json` (the
 * default). Each is replaced atomically, so a crash between writing a slot and flipping the
 * default leaves the old default booting the old slot.
 */
import type { BootPlatform, BootSlot, BootState, SlotImage } from '../boot.js';
import type { DiskPlatform } from '../disk.js';
import { PlatformError } from '../errors.js';

const slotFile = (slot: BootSlot) => `slot-${slot}.json`;
const loaderFile = 'loader.json';

/** The boot loader over a disk's BOOT partition. */
export function createDiskBoot(disk: DiskPlatform): BootPlatform {
  const readJson = async (name: string): Promise<unknown> => {
    const data = await disk.read('BOOT', name);
    if (data === undefined) return undefined;
    try {
      return JSON.parse(Buffer.from(data).toString('utf8'));
    } catch (error) {
      throw new PlatformError('EIO', `boot: ${name} is not valid JSON`, {
        op: 'boot',
        subject: name,
        cause: error,
      });
    }
  };

  const readSlot = async (slot: BootSlot): Promise<SlotImage | undefined> => {
    const value = await readJson(slotFile(slot));
    if (value === undefined) return undefined;
    const { version, image } = value as Partial<SlotImage>;
    if (typeof version !== 'string' || typeof image !== 'string') {
      throw new PlatformError('EIO', `boot: ${slotFile(slot)} has no version or image`, {
        op: 'boot',
        subject: slot,
      });
    }
    return { version, image };
  };

  return {
    async state(): Promise<BootState> {
      const loader = (await readJson(loaderFile)) as { defaultSlot?: unknown } | undefined;
      const defaultSlot = loader?.defaultSlot === 'B' ? 'B' : 'A';
      const versions: Partial<Record<BootSlot, string>> = {};
      for (const slot of ['A', 'B'] as const) {
        const image = await readSlot(slot);
        if (image) versions[slot] = image.version;
      }
      return { defaultSlot, versions };
    },
    readSlot,
    async writeSlot(slot, image) {
      await disk.write('BOOT', slotFile(slot), `${JSON.stringify(image)}\n`);
    },
    async setDefault(slot) {
      if ((await disk.read('BOOT', slotFile(slot))) === undefined) {
        throw new PlatformError('ENOENT', `boot: slot ${slot} holds no image`, {
          op: 'setDefault',
          subject: slot,
        });
      }
      await disk.write('BOOT', loaderFile, `${JSON.stringify({ defaultSlot: slot })}\n`);
    },
  };
}
