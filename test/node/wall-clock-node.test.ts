import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs a fixture script to its own exit (killed after `limitMs`), with its output and exit code. */
function runScript(
  file: string,
  limitMs: number,
): Promise<{ stdout: string; stderr: string; code: number | null; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    let killed = false;
    const limit = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve({ stdout, stderr, code, killed });
    });
  });
}

describe('a node on the wall clock and the simulated platform', () => {
  it('should keep its process alive while it waits for DHCP, and let it exit once stopped', async () => {
    const run = await runScript(join(import.meta.dirname, 'fixtures', 'wall-clock-dhcp-process.ts'), 20_000);
    expect(run.killed, 'the process did not exit after node.stop()').toBe(false);
    expect(run.stdout, `the process exited early (code ${run.code}): ${run.stderr}`).toBe('ready\nstopped\n');
    expect(run.code).toBe(0);
  });
});
