/**
 * Processes the node supervises (etcd, the kubelet): start, stop (SIGTERM, then SIGKILL after a
 * grace period), exit codes, and their output as lines. Real child processes on every platform
 * that runs programs; scripted ones on the simulated platform.
 */
import type { Observable } from 'rxjs';

/** What to run. */
export interface ProcessSpec {
  /** Names the process in logs and errors (the service id). */
  readonly id: string;
  /** The program: a path, or a name looked up on PATH. */
  readonly command: string;
  readonly args: readonly string[];
  /** Extra environment variables; the node's own environment is not passed on beyond PATH and HOME. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. */
  readonly cwd?: string;
}

/** How a process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** One line a process wrote. */
export interface OutputLine {
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** A running process. */
export interface ProcessHandle {
  /** Its process id (a made-up positive number for scripted processes). */
  readonly pid: number;
  /** Resolves once it has exited, whatever the reason. */
  readonly exited: Promise<ProcessExit>;
  /** Every line it writes, live; completes when it exits. */
  readonly output: Observable<OutputLine>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with its exit. */
  stop(graceMs: number): Promise<ProcessExit>;
}

/** Starts processes. */
export interface ProcessPlatform {
  /** Starts a process; rejects (ENOENT) when the program cannot be found. */
  start(spec: ProcessSpec): Promise<ProcessHandle>;
}
