/**
 * Scripted processes for the simulated platform: a program is a function that writes lines and
 * exits when it likes, in the simulation's clock, so supervisor behaviour (crash loops, slow
 * stops, health) is deterministic.
 */
import { ReplaySubject } from 'rxjs';
import type { Clock } from '../../runtime/clock.js';
import { PlatformError } from '../errors.js';
import type { OutputLine, ProcessExit, ProcessHandle, ProcessPlatform, ProcessSpec } from '../processes.js';

/** What a scripted program can do. */
export interface ScriptedProcess {
  readonly spec: ProcessSpec;
  readonly clock: Clock;
  /** Writes a line. */
  write(line: string, stream?: OutputLine['stream']): void;
  /** Ends the process with an exit code. */
  exit(code: number): void;
  /** Aborted when SIGTERM arrives; without a handler of its own the process then ends by the signal. */
  readonly terminated: AbortSignal;
  /** Keeps running after SIGTERM (until it exits itself or SIGKILL comes), as a slow service does. */
  ignoreTerm(): void;
}

/** A program: runs at start; its returned promise's end does not end the process (call `exit`). */
export type ScriptedProgram = (process: ScriptedProcess) => void | Promise<void>;

/** Options of {@link createScriptedProcesses}. */
export interface ScriptedProcessesOptions {
  readonly clock: Clock;
  /** Programs by command name. */
  readonly programs: Readonly<Record<string, ScriptedProgram>>;
}

/** Makes the scripted process platform. */
export function createScriptedProcesses(options: ScriptedProcessesOptions): ProcessPlatform {
  let nextPid = 1_000;
  return {
    async start(spec) {
      const program = options.programs[spec.command];
      if (!program) {
        throw new PlatformError('ENOENT', `process ${spec.command}: no such scripted program`, {
          op: 'start',
          subject: spec.command,
        });
      }
      return startScripted(spec, program, options.clock, nextPid++);
    },
  };
}

function startScripted(
  spec: ProcessSpec,
  program: ScriptedProgram,
  clock: Clock,
  pid: number,
): ProcessHandle {
  const lines = new ReplaySubject<OutputLine>(1_000);
  const term = new AbortController();
  let resolveExit!: (exit: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((resolve) => {
    resolveExit = resolve;
  });
  let done = false;
  let ignoresTerm = false;
  const finish = (exit: ProcessExit) => {
    if (done) return;
    done = true;
    lines.complete();
    resolveExit(exit);
  };
  const process: ScriptedProcess = {
    spec,
    clock,
    write: (line, stream = 'stdout') => {
      if (!done) lines.next({ stream, line });
    },
    exit: (code) => finish({ code, signal: null }),
    terminated: term.signal,
    ignoreTerm: () => {
      ignoresTerm = true;
    },
  };
  // The program starts after start() returned, as a real process runs apart from its parent.
  queueMicrotask(() => {
    Promise.resolve()
      .then(() => program(process))
      .catch((error: unknown) => {
        process.write(`panic: ${(error as Error)?.message ?? String(error)}`, 'stderr');
        finish({ code: 2, signal: null });
      });
  });
  return {
    pid,
    exited,
    output: lines.asObservable(),
    async stop(graceMs) {
      if (done) return exited;
      term.abort();
      if (!ignoresTerm) finish({ code: null, signal: 'SIGTERM' });
      const timer = clock.setTimeout(() => finish({ code: null, signal: 'SIGKILL' }), graceMs);
      const exit = await exited;
      clock.clearTimeout(timer);
      return exit;
    },
  };
}
