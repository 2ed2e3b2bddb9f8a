/**
 * `npm run bench -- services`: the node's services with real processes.
 *
 * - a node from `start()` to the kubelet running and answering `/healthz` (wall), against the plain
 *   baseline of spawning the same stand-in kubelet on the same files and polling its `/healthz`,
 *   measured in interleaved pairs;
 * - the supervisor's cost per service: heap bytes and CPU time of the node's process while N idle
 *   processes run under it, against the same N processes spawned with `child_process` directly
 *   (their output read the same way), in interleaved pairs;
 * - etcd (bench/services-etcd.ts): a node from start to etcd healthy and a three-member cluster
 *   formed, against plain etcd members spawned directly, in interleaved pairs.
 *
 * Each part is a section (a function returning rows); `BENCH_SERVICES_ONLY=etcd` (a comma-separated
 * list of kubelet, supervisor, etcd) runs some of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createEventBus } from '../src/node/events/event-bus.js';
import {
  createChildProcesses,
  createNode,
  createSimulatedPlatform,
  KubeletSpecs,
  Services,
  standInKubeletPath,
  type V1Alpha1ConfigInput,
} from '../src/node/index.js';
import { createSupervisor } from '../src/node/supervisor/supervisor.js';
import { wallClock } from '../src/runtime/clock.js';
import {
  type BenchReport,
  type BenchRow,
  costRow,
  heapUsed,
  median,
  pairedCostRow,
  pairedMeasures,
} from './harness.js';
import { etcdSection } from './services-etcd.js';

const pairs = Number(process.env.BENCH_SERVICES_PAIRS ?? 3);
const idleServices = Number(process.env.BENCH_SERVICES_IDLE ?? 20);
const idleWindowMs = Number(process.env.BENCH_SERVICES_IDLE_MS ?? 3_000);
const healthzPort = 41_901;

const config: V1Alpha1ConfigInput = {
  version: 'v1alpha1',
  machine: {
    type: 'worker',
    network: {
      hostname: 'bench-1',
      interfaces: [
        {
          interface: 'eth0',
          addresses: ['10.0.0.50/24'],
          routes: [{ network: '0.0.0.0/0', gateway: '10.0.0.1' }],
        },
      ],
    },
    kubelet: { extraConfig: { healthzPort } },
  },
  cluster: { controlPlane: { endpoint: 'https://10.0.0.10:6443' }, token: 'abcdef.0123456789abcdef' },
};

/** Resolves once `check` does, polling; the bench measures how long that takes. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`bench: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function healthzAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    get(`http://127.0.0.1:${healthzPort}/healthz`, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** A node's start to its kubelet: answering `/healthz`, then reported healthy by its health check. */
interface KubeletRun {
  /** Until the kubelet answers `/healthz` (polled as the baseline polls it). */
  answeredMs: number;
  /** Until `Service/kubelet` is healthy (the service's health check waits 2 s before its first probe). */
  healthyMs: number;
  /** The kubelet's flags, for the baseline. */
  args: string[];
  dir: string;
}

/** One node from start to a healthy kubelet. */
async function nodeToKubelet(): Promise<KubeletRun> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-services-'));
  const platform = createSimulatedPlatform({
    clock: wallClock,
    seed: 1,
    links: [{ name: 'eth0' }],
    time: { synced: true },
    processes: createChildProcesses(),
  });
  const start = performance.now();
  const node = await createNode({ config, platform, stateDir: dir });
  await node.start();
  const healthy = async () =>
    (await node.state.list(Services.kind())).some((s) => s.metadata.id === 'kubelet' && s.spec.healthy);
  await until(healthzAnswers, 'the kubelet answering /healthz');
  const answeredMs = performance.now() - start;
  await until(healthy, 'the kubelet becoming healthy');
  const healthyMs = performance.now() - start;
  const args = [...(await node.state.get(KubeletSpecs.pointer('kubelet'))).spec.args];
  await node.stop();
  return { answeredMs, healthyMs, args, dir };
}

/** The baseline: the same stand-in kubelet on the same files, spawned directly, until `/healthz` answers. */
async function directKubelet(args: readonly string[]): Promise<number> {
  const start = performance.now();
  // The environment the node's process platform gives its children.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' };
  const child = spawn(standInKubeletPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout?.resume();
  child.stderr?.resume();
  await until(healthzAnswers, 'the directly spawned kubelet answering /healthz');
  const ms = performance.now() - start;
  child.kill('SIGTERM');
  await exited(child);
  return ms;
}

/** Node start → kubelet running and healthy, against spawning the kubelet alone. */
async function kubeletSection(): Promise<BenchRow[]> {
  const first = await nodeToKubelet(); // warm-up, and the files and flags the baseline reuses
  const dirs = [first.dir];
  const healthy: number[] = [];
  try {
    const timing = await pairedMeasures(
      pairs,
      async () => {
        const run = await nodeToKubelet();
        dirs.push(run.dir);
        healthy.push(run.healthyMs);
        return run.answeredMs;
      },
      () => directKubelet(first.args),
    );
    return [
      pairedCostRow('node start → kubelet answering /healthz (wall)', timing, 3),
      {
        figure: 'node start → Service kubelet healthy (wall, 2 s probe delay included)',
        value: median(healthy),
        unit: 'ms',
      },
    ];
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

interface IdleCost {
  heapBytes: number;
  cpuMs: number;
}

/** Runs `n` idle `sleep` processes under a supervisor; heap grown and CPU used over the idle window. */
async function supervised(n: number): Promise<IdleCost> {
  const bus = createEventBus({ clock: wallClock });
  const supervisor = createSupervisor({ clock: wallClock, bus, processes: createChildProcesses() });
  const before = heapUsed();
  for (let i = 0; i < n; i++) {
    supervisor.loadAndStart({
      id: `idle-${i}`,
      process: () => ({ id: `idle-${i}`, command: 'sleep', args: ['3600'] }),
      restart: { kind: 'forever' },
    });
  }
  await until(async () => supervisor.list().every((s) => s.state === 'Running'), 'idle services running');
  const cost = await idle(before);
  await supervisor.stopAll();
  return cost;
}

/** The same `n` processes spawned directly, their output read line by line as the platform does. */
async function direct(n: number): Promise<IdleCost> {
  const before = heapUsed();
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn('sleep', ['3600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', () => {});
    }
    children.push(child);
  }
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('spawn', resolve))));
  const cost = await idle(before);
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map(exited));
  return cost;
}

/** Heap grown since `before`, and this process's CPU over an idle window. */
async function idle(before: number): Promise<IdleCost> {
  const heapBytes = heapUsed() - before;
  const cpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, idleWindowMs));
  const used = process.cpuUsage(cpu);
  return { heapBytes, cpuMs: (used.user + used.system) / 1_000 };
}

/** The supervisor's memory and idle CPU per service, against direct spawning. */
async function supervisorSection(): Promise<BenchRow[]> {
  const heap: [number, number][] = [];
  const cpu: [number, number][] = [];
  await supervised(2); // warm-up
  for (let p = 0; p < pairs; p++) {
    // Alternate which goes first, so the machine's state weighs on both sides alike.
    let ours: IdleCost;
    let base: IdleCost;
    if (p % 2 === 0) {
      ours = await supervised(idleServices);
      base = await direct(idleServices);
    } else {
      base = await direct(idleServices);
      ours = await supervised(idleServices);
    }
    heap.push([ours.heapBytes / idleServices, base.heapBytes / idleServices]);
    cpu.push([ours.cpuMs / idleServices, base.cpuMs / idleServices]);
  }
  const heapOurs = median(heap.map(([o]) => o));
  const heapBase = Math.max(1, median(heap.map(([, b]) => b)));
  const cpuOurs = median(cpu.map(([o]) => o));
  const cpuBase = Math.max(0.001, median(cpu.map(([, b]) => b)));
  return [
    costRow(`heap per supervised idle service (${idleServices} services)`, heapOurs, heapBase, 'bytes', 10),
    costRow(`CPU per idle service over ${idleWindowMs / 1000} s`, cpuOurs, cpuBase, 'ms', 10),
  ];
}

/** The benchmark's sections, in order; each measures its own figures against its own baseline. */
const sections: Readonly<Record<string, () => Promise<BenchRow[]>>> = {
  kubelet: kubeletSection,
  supervisor: supervisorSection,
  etcd: () => etcdSection(pairs),
};

/** Runs the services benchmark. */
export async function run(): Promise<BenchReport> {
  const only = process.env.BENCH_SERVICES_ONLY?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !(name in sections)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_SERVICES_ONLY: unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(sections).join(', ')}`,
    );
  }
  const rows: BenchRow[] = [];
  for (const [name, section] of Object.entries(sections)) {
    if (only === undefined || only.includes(name)) rows.push(...(await section()));
  }
  return {
    name: 'services',
    rows,
    notes: [
      `${pairs} interleaved pairs per figure; the kubelet is the stand-in (bin/converge-kubelet), started through tsx when the package is not built`,
      'baselines: the same processes spawned with child_process directly, output read the same way',
      'etcd: nodes in this process on a simulated network with real etcd members on 127.0.0.61-65, data under the temp dir; baseline: Debian etcd with the same TLS flags on 127.0.0.62 and .66-68, certificates made beforehand, healthy = GET /health answers true on every member',
      'Service etcd becomes healthy at its first probe (1 s after start, then every 2 s): a promoted learner waits for its next probe',
    ],
  };
}
