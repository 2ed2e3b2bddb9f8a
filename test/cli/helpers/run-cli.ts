import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real executable, as users run it. */
const converge = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'converge');

/** What a finished run printed and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/converge` with `args` and an environment of only `env` (plus PATH), from source. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(stdin ?? '');
  });
}

/** Starts `bin/converge` and hands back the process (for watch mode). */
export function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(converge, [...args], {
    env: { PATH: process.env.PATH ?? '', CONVERGE_CLI_FROM_SOURCE: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
