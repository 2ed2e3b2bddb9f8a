/**
 * The node's disk: the partitions that survive a reboot (STATE, META, EPHEMERAL, BOOT), as real files
 * under the node's state directory on every platform, every write atomic.
 */
import type { AtomicWriteHook } from './disk/atomic-file.js';
import type { PlatformErrorCode } from './errors.js';

/**
 * The partitions of a node's system disk that it keeps across reboots:
 * - `STATE`: the persistent machine config;
 * - `META`: a few small keys (the `Upgrade` marker, staged upgrade options);
 * - `EPHEMERAL`: service data (etcd's data directory), wiped by a reset;
 * - `BOOT`: the boot slots A and B and which of them boots by default.
 */
const partitions = ['STATE', 'META', 'EPHEMERAL', 'BOOT'] as const;

/** One of {@link partitions}. */
export type Partition = (typeof partitions)[number];

/** Files of a partition: durable, atomic, named by a plain file name (no paths). */
export interface DiskPlatform {
  /** The directory that holds a partition's files (for services that keep data there, such as etcd). */
  path(partition: Partition): string;
  /** A file's content, or `undefined` when it does not exist. */
  read(partition: Partition, name: string): Promise<Uint8Array | undefined>;
  /** Replaces a file atomically (temp, fsync, rename, fsync of the directory): all or nothing. */
  write(partition: Partition, name: string, data: string | Uint8Array): Promise<void>;
  /** Removes a file durably; an absent file is not an error. */
  remove(partition: Partition, name: string): Promise<void>;
  /** The names of a partition's files, sorted. */
  list(partition: Partition): Promise<string[]>;
  /** Removes every file of a partition, as a reset does. */
  wipe(partition: Partition): Promise<void>;
}

/** Faults a test can inject into a disk, on the simulated platform. */
export interface DiskFaults {
  /** The next `count` writes fail with `code` (default `ENOSPC`) before anything is written. */
  failWrites(count?: number, code?: Extract<PlatformErrorCode, 'ENOSPC' | 'EIO' | 'EPERM'>): void;
  /** Observes every step of every atomic write (crash tests stop the process at a named step). */
  onWriteStep(hook: AtomicWriteHook | undefined): void;
}
