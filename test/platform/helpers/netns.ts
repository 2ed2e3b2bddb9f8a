/**
 * Network namespaces made by a test: a unique name, `ip` inside it, removal that runs even when
 * the test failed. Namespaces need root and iproute2; when they cannot be made the test fails
 * with the reason and the install command, it never skips.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
let counter = 0;

/** A namespace a test owns. */
export interface TestNetns {
  readonly name: string;
  /** Runs `ip -n <name> <args>` and returns its standard output. */
  ip(...args: string[]): Promise<string>;
  /** Runs `ip -n <name> -json <args>` and parses it. */
  json<T = unknown>(...args: string[]): Promise<T>;
  /** Deletes the namespace (idempotent). */
  remove(): Promise<void>;
}

/** Creates `cvg-test-<pid>-<n>`; throws with the reason and `apt-get install -y iproute2` when it cannot. */
export async function createTestNetns(): Promise<TestNetns> {
  const name = `cvg-test-${process.pid}-${counter++}`;
  try {
    await run('ip', ['netns', 'add', name]);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `cannot create network namespace ${name}: ${(e.stderr ?? e.message).trim()}. ` +
        'These tests need root and iproute2: apt-get install -y iproute2',
    );
  }
  let removed = false;
  const ip = async (...args: string[]) => (await run('ip', ['-n', name, ...args])).stdout;
  return {
    name,
    ip,
    json: async <T>(...args: string[]) => JSON.parse(await ip('-json', ...args)) as T,
    async remove() {
      if (removed) return;
      removed = true;
      await run('ip', ['netns', 'del', name]);
    },
  };
}

/** The names of every network namespace on the machine. */
export async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** The pids of processes whose command line mentions `text` (e.g. a namespace name). */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (cmdline[0] === 'ip' && cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return pids;
}
