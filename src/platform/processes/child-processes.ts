/**
 * Real child processes. Each is started under `setpriv --pdeathsig KILL`, so the kernel kills it
 * when the node's process dies, even by SIGKILL: a node never leaves an orphan etcd behind.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ReplaySubject } from 'rxjs';
import { PlatformError } from '../errors.js';
import type { OutputLine, ProcessExit, ProcessHandle, ProcessPlatform, ProcessSpec } from '../processes.js';

/** The tool that ties a child's life to its parent's (util-linux, on every Debian system). */
const setpriv = '/usr/bin/setpriv';

/** Where a program is: an absolute path as given, else the first match on PATH. */
async function resolveProgram(command: string, cwd: string | undefined): Promise<string> {
  const candidates = isAbsolute(command)
    ? [command]
    : command.includes('/')
      ? [join(cwd ?? process.cwd(), command)]
      : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next directory
    }
  }
  throw new PlatformError('ENOENT', `process ${command}: not found or not executable`, {
    op: 'start',
    subject: command,
  });
}

/** Makes the real process platform. */
export function createChildProcesses(): ProcessPlatform {
  return {
    async start(spec: ProcessSpec): Promise<ProcessHandle> {
      const program = await resolveProgram(spec.command, spec.cwd);
      try {
        await access(setpriv, constants.X_OK);
      } catch {
        throw new PlatformError(
          'ENOENT',
          `process ${spec.id}: ${setpriv} is missing; install it with: apt-get install -y util-linux`,
          {
            op: 'start',
            subject: spec.id,
          },
        );
      }
      const child = spawn(setpriv, ['--pdeathsig', 'KILL', '--', program, ...spec.args], {
        cwd: spec.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Replayed so that lines written before the caller subscribed are not lost; bounded.
      const lines = new ReplaySubject<OutputLine>(1_000);
      const exited = new Promise<ProcessExit>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', () => resolve({ code: null, signal: null }));
      });
      let open = 2;
      for (const stream of ['stdout', 'stderr'] as const) {
        const reader = createInterface({ input: child[stream], crlfDelay: Number.POSITIVE_INFINITY });
        reader.on('line', (line) =>
          lines.next({ stream, line: line.length > 8_192 ? `${line.slice(0, 8_192)}…` : line }),
        );
        reader.once('close', () => {
          if (--open === 0) lines.complete();
        });
      }
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid ?? 0));
        child.once('error', (error) =>
          reject(
            new PlatformError('EIO', `process ${spec.id}: ${error.message}`, {
              op: 'start',
              subject: spec.id,
              cause: error,
            }),
          ),
        );
      });
      return {
        pid,
        exited,
        output: lines.asObservable(),
        async stop(graceMs) {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const exit = await exited;
          clearTimeout(timer);
          return exit;
        },
      };
    },
  };
}
