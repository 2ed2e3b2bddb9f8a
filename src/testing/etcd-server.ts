import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The command that installs the etcd server the tests run. */
export const etcdInstallCommand = 'apt-get install -y etcd-server';

/** Options of {@link startEtcdServer}. */
export interface EtcdServerOptions {
  /** The etcd binary; by default `/usr/bin/etcd`, then `etcd` on the PATH. */
  binary?: string;
  /** etcd's `--max-request-bytes` (etcd's default is 1.5 MiB). */
  maxRequestBytes?: number;
  /** Extra command-line flags. */
  extraArgs?: readonly string[];
  /** How long to wait for the server to become healthy, in ms (default 20 s). */
  startTimeoutMs?: number;
}

/** A real etcd server on loopback ports chosen at run time, in its own temporary data directory. */
export interface EtcdServer {
  /** The client URL, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  /** The process id while running. */
  readonly pid: number | undefined;
  /** True while the process runs (stopped or paused counts as running). */
  readonly running: boolean;
  /** Starts it again on the same ports and data directory; resolves once healthy. */
  start(): Promise<void>;
  /** Stops it gracefully (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Kills it (SIGKILL) and waits for the exit. */
  kill(): Promise<void>;
  /** Kill, then start: a crash and a restart. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers; resolves once every thread stopped. */
  pause(): Promise<void>;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** Stops it and removes the data directory. */
  close(): Promise<void>;
}

function findBinary(explicit: string | undefined): string {
  const candidates = explicit !== undefined ? [explicit] : ['/usr/bin/etcd', '/usr/local/bin/etcd'];
  for (const dir of explicit === undefined ? (process.env.PATH ?? '').split(':') : []) {
    if (dir !== '') candidates.push(join(dir, 'etcd'));
  }
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `etcd is not installed (looked for ${candidates.slice(0, 3).join(', ')}); install it with: ${etcdInstallCommand}`,
  );
}

/** A free loopback port: bind port 0, read it back, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}

function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/health`, { timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every server this process started, killed on exit so none outlives a crashed test run. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts a real etcd (`/usr/bin/etcd`, Debian's `etcd-server`) on free loopback ports in a fresh
 * temporary data directory (on tmpfs when `/dev/shm` exists, since etcd 3.4 cannot skip fsync),
 * and resolves once it reports healthy.
 *
 * @example
 * ```ts
 * const etcd = await startEtcdServer();
 * const state = createEtcdState({ endpoints: [etcd.endpoint], prefix: 'test' });
 * // ...
 * await etcd.close();
 * ```
 * @remarks Fails with the install command (`apt-get install -y etcd-server`) when etcd is missing.
 */
export async function startEtcdServer(options: EtcdServerOptions = {}): Promise<EtcdServer> {
  const binary = findBinary(options.binary);
  installExitHook();
  const base = canWrite('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'converge-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const name = 'converge';
  const args = [
    '--name',
    name,
    '--data-dir',
    join(dataDir, 'data'),
    '--listen-client-urls',
    endpoint,
    '--advertise-client-urls',
    endpoint,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `${name}=${peer}`,
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    `converge-${clientPort}`,
    '--auto-compaction-retention',
    '0',
    '--log-level',
    'error',
    '--logger',
    'zap',
    ...(options.maxRequestBytes !== undefined
      ? ['--max-request-bytes', String(options.maxRequestBytes)]
      : []),
    ...(options.extraArgs ?? []),
  ];
  const startTimeout = options.startTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderrTail = '';

  const launch = async () => {
    if (child !== undefined) throw new Error(`etcd at ${endpoint} is already running`);
    stderrTail = '';
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    live.add(proc);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4_000);
    });
    let hasExited = false;
    exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        hasExited = true;
        live.delete(proc);
        if (child === proc) child = undefined;
        resolve();
      });
    });
    proc.once('error', (error) => {
      stderrTail += `\n${String(error)}`;
    });
    const deadline = Date.now() + startTimeout;
    while (Date.now() < deadline) {
      if (hasExited) {
        throw new Error(`etcd exited while starting (${binary} ${args.join(' ')}):\n${stderrTail}`);
      }
      if (await healthy(endpoint)) return;
      await delay(50);
    }
    proc.kill('SIGKILL');
    await exited;
    throw new Error(`etcd at ${endpoint} did not become healthy within ${startTimeout} ms:\n${stderrTail}`);
  };

  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (proc === undefined) return;
    // A paused process ignores SIGTERM until thawed.
    proc.kill('SIGCONT');
    proc.kill(signal);
    await exited;
  };

  await launch();

  const server: EtcdServer = {
    endpoint,
    clientPort,
    dataDir,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined;
    },
    start: launch,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGKILL');
      await launch();
    },
    async pause() {
      const pid = child?.pid;
      if (pid === undefined) return;
      child?.kill('SIGSTOP');
      // The signal lands on each thread on its own time; until then etcd may still answer.
      for (let i = 0; i < 200 && !allThreadsStopped(pid); i++) await delay(5);
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async close() {
      await halt('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** True when every thread of `pid` is stopped (Linux /proc; elsewhere assume so). */
function allThreadsStopped(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't';
    });
  } catch {
    return true;
  }
}

function canWrite(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
