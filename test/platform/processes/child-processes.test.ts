import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { isPlatformError } from '../../../src/platform/errors.js';
import { createChildProcesses } from '../../../src/platform/processes/child-processes.js';
import type { OutputLine } from '../../../src/platform/processes.js';

/** Polls until `check` holds or `ms` pass (real processes run in real time). */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readStatus(pid));
function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

describe('createChildProcesses', () => {
  it('should run a real process, capture both streams by line, and stop it with SIGTERM', async () => {
    const handle = await createChildProcesses().start({
      id: 'svc',
      command: 'sh',
      args: ['-c', 'echo out; echo err >&2; trap "echo bye; exit 0" TERM; while true; do sleep 0.05; done'],
    });
    const lines: OutputLine[] = [];
    handle.output.subscribe((l) => lines.push(l));
    expect(await eventually(() => lines.length >= 2, 5_000)).toBe(true);
    expect(await handle.stop(5_000)).toEqual({ code: 0, signal: null });
    expect(lines).toContainEqual({ stream: 'stdout', line: 'out' });
    expect(lines).toContainEqual({ stream: 'stderr', line: 'err' });
    expect(lines).toContainEqual({ stream: 'stdout', line: 'bye' });
  });

  it('should SIGKILL a process that ignores SIGTERM once the grace period is over', async () => {
    const handle = await createChildProcesses().start({
      id: 'stubborn',
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo ready; while true; do sleep 0.05; done'],
    });
    const ready = new Promise<void>((resolve) =>
      handle.output.subscribe((l) => l.line === 'ready' && resolve()),
    );
    await ready;
    expect(await handle.stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('should refuse a program that does not exist with ENOENT', async () => {
    await expect(
      createChildProcesses().start({ id: 'x', command: 'no-such-program-cvg', args: [] }),
    ).rejects.toSatisfy((e) => isPlatformError(e, 'ENOENT'));
  });

  it('should leave no orphan when the node process is killed with SIGKILL', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'node-with-child-process.ts');
    const node = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: node.stdout! }).once('line', resolve);
      node.once('exit', () => reject(new Error('the node fixture exited early')));
    });
    const childPid = Number(firstLine);
    expect(childPid).toBeGreaterThan(0);
    expect(alive(childPid)).toBe(true);
    node.kill('SIGKILL');
    expect(await eventually(() => !alive(childPid), 5_000), `sleep (pid ${childPid}) outlived its node`).toBe(
      true,
    );
  });
});
