/**
 * META: the node's small key/value store that survives reboots and upgrades (Talos keeps the
 * `Upgrade` marker and staged-upgrade options there). One JSON file in the META partition, every
 * change a whole atomic rewrite, so a crash leaves either the old keys or the new ones.
 */
import type { DiskPlatform } from '../disk.js';
import { PlatformError } from '../errors.js';

/** The META keys the node uses, named as Talos names them. */
export const metaKeys = {
  /** The boot slot to revert to while an upgrade is not committed. */
  upgrade: 'Upgrade',
  /** The image of an upgrade staged for the next boot. */
  stagedUpgradeImageRef: 'StagedUpgradeImageRef',
  /** The options of an upgrade staged for the next boot (JSON). */
  stagedUpgradeInstallOptions: 'StagedUpgradeInstallOptions',
} as const;

const fileName = 'meta.json';
const maxValueLength = 64 * 1024;

/** The META store of one disk; load it with {@link openMetaStore}. */
export interface MetaStore {
  /** A key's value, or `undefined`. */
  get(key: string): string | undefined;
  /** Every key and value, sorted by key. */
  entries(): [string, string][];
  /** Sets a key durably; resolves once it is on disk. */
  set(key: string, value: string): Promise<void>;
  /** Deletes a key durably (an absent key writes nothing). */
  delete(key: string): Promise<void>;
}

/** Reads META from the disk (empty when the node never wrote it). A corrupt file is an error, never ignored. */
export async function openMetaStore(disk: DiskPlatform): Promise<MetaStore> {
  let values = parseMeta(await disk.read('META', fileName));
  let writes: Promise<void> = Promise.resolve();

  /** Applies `change` to a copy and writes it; the in-memory view changes only once the write landed. */
  const commit = (change: (next: Map<string, string>) => boolean): Promise<void> => {
    const run = writes.then(async () => {
      const next = new Map(values);
      if (!change(next)) return;
      await disk.write(
        'META',
        fileName,
        `${JSON.stringify(Object.fromEntries([...next].sort()), null, 2)}\n`,
      );
      values = next;
    });
    writes = run.catch(() => {});
    return run;
  };

  return {
    get: (key) => values.get(key),
    entries: () => [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    set(key, value) {
      checkKey(key);
      if (value.length > maxValueLength) {
        return Promise.reject(
          new PlatformError('EINVAL', `meta: value of ${key} is longer than ${maxValueLength}`, {
            op: 'meta',
            subject: key,
          }),
        );
      }
      return commit((next) => {
        if (next.get(key) === value) return false;
        next.set(key, value);
        return true;
      });
    },
    delete(key) {
      return commit((next) => next.delete(key));
    },
  };
}

function checkKey(key: string): void {
  if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(key)) {
    throw new PlatformError('EINVAL', `meta: invalid key ${JSON.stringify(key)}`, {
      op: 'meta',
      subject: key,
    });
  }
}

function parseMeta(data: Uint8Array | undefined): Map<string, string> {
  if (data === undefined) return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (error) {
    throw new PlatformError('EIO', `meta: ${fileName} is not valid JSON`, {
      op: 'meta',
      subject: fileName,
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PlatformError('EIO', `meta: ${fileName} is not an object`, { op: 'meta', subject: fileName });
  }
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      throw new PlatformError('EIO', `meta: ${fileName}: value of ${key} is not a string`, {
        op: 'meta',
        subject: key,
      });
    }
    values.set(key, value);
  }
  return values;
}
