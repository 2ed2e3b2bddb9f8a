/**
 * Atomic file replacement: a reader (or a node that crashed at any instant) sees either the whole
 * old content or the whole new one, never a mix and never an empty file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PlatformError } from '../errors.js';

/** The steps of an atomic write, in order; a crash hook may stop the process at any of them. */
export const atomicWriteSteps = ['temp-written', 'temp-synced', 'renamed', 'dir-synced'] as const;

/** One step of {@link writeFileAtomic}. */
export type AtomicWriteStep = (typeof atomicWriteSteps)[number];

/** Observes (or interrupts) the steps of a write: tests use it to crash or fail at each one. */
export type AtomicWriteHook = (step: AtomicWriteStep, path: string) => void | Promise<void>;

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Called after each step; a throw abandons the write (the temp file is removed when it still exists). */
  readonly hook?: AtomicWriteHook;
  /** File mode of the new file (default 0o600: state files hold configs and keys). */
  readonly mode?: number;
}

/**
 * Replaces `path` with `data` atomically: writes a temp file beside it, fsyncs it, renames it over
 * the target and fsyncs the directory, so the rename itself survives a power loss.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const file = await open(temp, 'wx', options.mode ?? 0o600);
    try {
      await file.writeFile(data);
      await options.hook?.('temp-written', path);
      await file.sync();
    } finally {
      await file.close();
    }
    await options.hook?.('temp-synced', path);
    await rename(temp, path);
    renamed = true;
    await options.hook?.('renamed', path);
    await syncDirectory(dir);
    await options.hook?.('dir-synced', path);
  } catch (error) {
    if (!renamed) await rm(temp, { force: true });
    throw asPlatformError(error, 'writeFileAtomic', path);
  }
}

/** Removes `path` (absent is fine) and fsyncs its directory so the removal is durable. */
export async function removeFileDurably(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
    await syncDirectory(dirname(path));
  } catch (error) {
    throw asPlatformError(error, 'removeFile', path);
  }
}

/** The file's content, or `undefined` when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asPlatformError(error, 'readFile', path);
  }
}

/** fsyncs a directory, making renames and removals in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Maps a Node.js file-system error onto a {@link PlatformError}; other errors pass through. */
function asPlatformError(error: unknown, op: string, subject: string): unknown {
  if (error instanceof PlatformError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'ENOENT' || code === 'EPERM') {
    return new PlatformError(code, `${op} ${subject}: ${(error as Error).message}`, {
      op,
      subject,
      cause: error,
    });
  }
  if (code === 'EACCES') {
    return new PlatformError('EPERM', `${op} ${subject}: ${(error as Error).message}`, {
      op,
      subject,
      cause: error,
    });
  }
  return error;
}
