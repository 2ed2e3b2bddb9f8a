/**
 * The disk as real files: `<stateDir>/<partition>/<name>`, used by both platforms (the simulated
 * one adds fault injection), so crash and ENOSPC tests exercise the real write path.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskFaults, DiskPlatform, Partition } from '../disk.js';
import { PlatformError, type PlatformErrorCode } from '../errors.js';
import {
  type AtomicWriteHook,
  readFileIfExists,
  removeFileDurably,
  syncDirectory,
  writeFileAtomic,
} from './atomic-file.js';

/** Options of {@link createFileDisk}. */
export interface FileDiskOptions {
  /** The node's state directory; each partition is a folder in it. */
  readonly stateDir: string;
}

/** A file disk with its fault hooks. */
export interface FileDisk extends DiskPlatform {
  /** Fault injection, used by tests and the simulated platform. */
  readonly faults: DiskFaults;
}

/** File names are plain names: no separators, no dot files, nothing that could leave the partition. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkName(partition: Partition, name: string): void {
  if (!namePattern.test(name)) {
    throw new PlatformError('EINVAL', `disk: invalid file name ${JSON.stringify(name)} in ${partition}`, {
      op: 'disk',
      subject: name,
    });
  }
}

/** Temp files a write left when the process died before its rename: never visible as content. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }
}

/** Makes a disk whose partitions are folders of `stateDir` (created on first use). */
export function createFileDisk(options: FileDiskOptions): FileDisk {
  const dirs = new Map<Partition, Promise<string>>();
  let failing = 0;
  let failCode: PlatformErrorCode = 'ENOSPC';
  let hook: AtomicWriteHook | undefined;

  const dir = (partition: Partition): Promise<string> => {
    let made = dirs.get(partition);
    if (!made) {
      const path = join(options.stateDir, partition);
      made = mkdir(path, { recursive: true, mode: 0o700 }).then(async () => {
        await removeStaleTemps(path);
        return path;
      });
      dirs.set(partition, made);
      made.catch(() => dirs.delete(partition));
    }
    return made;
  };

  return {
    path: (partition) => join(options.stateDir, partition),
    async read(partition, name) {
      checkName(partition, name);
      return readFileIfExists(join(await dir(partition), name));
    },
    async write(partition, name, data) {
      checkName(partition, name);
      const path = join(await dir(partition), name);
      if (failing > 0) {
        failing--;
        throw new PlatformError(failCode, `disk: write ${partition}/${name}: injected ${failCode}`, {
          op: 'write',
          subject: `${partition}/${name}`,
        });
      }
      await writeFileAtomic(path, data, hook ? { hook } : {});
    },
    async remove(partition, name) {
      checkName(partition, name);
      await removeFileDurably(join(await dir(partition), name));
    },
    async list(partition) {
      const names = await readdir(await dir(partition));
      return names.filter((n) => namePattern.test(n)).sort();
    },
    async wipe(partition) {
      const path = await dir(partition);
      for (const name of await readdir(path)) await rm(join(path, name), { recursive: true, force: true });
      await syncDirectory(path);
    },
    faults: {
      failWrites(count = 1, code = 'ENOSPC') {
        failing = count;
        failCode = code;
      },
      onWriteStep(next) {
        hook = next;
      },
    },
  };
}
