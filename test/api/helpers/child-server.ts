import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestCertificates } from './fixture.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'serve-child.ts');

/** An API server running in a child process. */
export interface ChildServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** The child's heap after a full GC, and its open connections and watches. */
  memory(): Promise<{ heapUsed: number; connections: number; watches: number }>;
  /** The child's CPU time so far (user and system), in milliseconds. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks `serve-child.ts` (with --expose-gc) and waits until it listens. */
export async function startChildServer(
  certs: TestCertificates,
  limits?: Record<string, number>,
): Promise<ChildServer> {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(type: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null) => reject(new Error(`server process exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = next<{ url: string }>('ready');
  child.send({ type: 'start', tls: { ca: certs.ca.cert, ...certs.server }, ...(limits ? { limits } : {}) });
  const { url } = await ready;
  return {
    url,
    process: child,
    memory() {
      const answer = next<{ heapUsed: number; connections: number; watches: number }>('memory');
      child.send({ type: 'memory' });
      return answer;
    },
    async cpuMs() {
      const answer = next<{ cpu: { user: number; system: number } }>('cpu');
      child.send({ type: 'cpu' });
      const { cpu } = await answer;
      return (cpu.user + cpu.system) / 1000;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
