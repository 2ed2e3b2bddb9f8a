/**
 * `npm run bench -- node`: node processes as users run them (`converge node run`, from source):
 * one node from start to MachineStatus running and ready; a 3-node cluster from create to etcd
 * healthy on every control plane, bootstrap included, as `converge cluster create` waits (wall;
 * the goal is under 10 s); a rolling upgrade of its 3 nodes through the node API's upgrade stream;
 * the memory of a node process; reconciles per resource of a node reaching ready (in process, see
 * bench/node-reconciles.ts). Baselines, measured in interleaved pairs in the same run: the same
 * executable printing its version (process and CLI start alone), the same nodes rebooted one after
 * another (an upgrade is a reboot into a new slot: the ratio is what the upgrade adds), and the
 * memory of an idle Node.js.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeClient, type NodeClient } from '../src/cli/node/node-client.js';
import type { NodeInfo } from '../src/node/api/node-info.js';
import {
  createLocalCluster,
  destroyLocalCluster,
  type LocalCluster,
} from '../src/node/cluster/local-cluster.js';
import type { ServiceStatus } from '../src/node/supervisor/service-runner.js';
import { type BenchReport, costRow, median, pairedCostRow, pairedMeasures } from './harness.js';
import { reconcilesToReady } from './node-reconciles.js';

const converge = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'converge');
const env = { ...process.env, CONVERGE_CLI_FROM_SOURCE: '1' };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const workerConfig = 'version: v1alpha1\nmachine:\n  type: worker\n';
/** etcd's ports on the cluster's addresses (127.0.0.41-43): not the default ones a user's cluster takes. */
const etcdPorts = { client: 34_379, peer: 34_380 };
const clusterPairs = Number(process.env.BENCH_NODE_CLUSTER_PAIRS ?? 2);
const upgradePairs = Number(process.env.BENCH_NODE_UPGRADE_PAIRS ?? 2);
/** The goal for a 3-node cluster to healthy, ms. */
const clusterGoalMs = 10_000;

/** Ms for `converge --version` to run and exit. */
function cliStart(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(converge, ['--version'], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - start));
  });
}

type Tls = { ca: string; cert: string; key: string };

/** Polls `probe` every 20 ms until it answers (errors: not yet); throws after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await probe().catch(() => undefined);
    if (answer !== undefined) return answer;
    if (performance.now() > deadline) throw new Error(`bench: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function untilReady(endpoint: string, tls: Tls, bootIdNot?: string): Promise<void> {
  const client = createNodeClient('bench', endpoint, tls);
  try {
    await until(`${endpoint} running and ready`, async () => {
      const info = await client.json<NodeInfo>('GET', '/v1/node/info');
      const fresh = bootIdNot === undefined || info.bootId !== bootIdNot;
      return (fresh && info.stage === 'running' && info.ready) || undefined;
    });
  } finally {
    client.close();
  }
}

async function tlsOf(pkiDir: string, cert: string, key: string) {
  return {
    ca: await readFile(join(pkiDir, 'ca.crt'), 'utf8'),
    cert: await readFile(cert, 'utf8'),
    key: await readFile(key, 'utf8'),
  };
}

/** Resident memory of a process, bytes. */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  await closed;
}

/** Ms from spawning one node process to running and ready; also its RSS then. */
async function oneNode(port: number): Promise<{ ms: number; rss: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-node-'));
  await writeFile(join(dir, 'machine.yaml'), workerConfig);
  const start = performance.now();
  const child = spawn(
    converge,
    ['node', 'run', '--config', join(dir, 'machine.yaml'), '--state-dir', join(dir, 'state')].concat([
      '--address',
      '127.0.0.31',
      '--port',
      String(port),
      '--log-level',
      'warn',
    ]),
    { env, stdio: 'ignore' },
  );
  try {
    const pki = join(dir, 'state', 'pki');
    while (!(await readFile(join(pki, 'admin.key'), 'utf8').catch(() => ''))) await sleep(20);
    await untilReady(
      `https://127.0.0.31:${port}`,
      await tlsOf(pki, join(pki, 'admin.crt'), join(pki, 'admin.key')),
    );
    const ms = performance.now() - start;
    return { ms, rss: await rss(child.pid ?? 0) };
  } finally {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Waits until the node's etcd service runs and is healthy (`GET /v1/node/services`). */
function untilEtcdHealthy(client: NodeClient): Promise<true> {
  return until(`etcd healthy on ${client.name}`, async () => {
    const { services } = await client.json<{ services: ServiceStatus[] }>('GET', '/v1/node/services');
    return services.some((s) => s.id === 'etcd' && s.state === 'Running' && s.healthy === true) || undefined;
  });
}

/** When each step of forming a cluster's etcd ended, ms after `start`. */
interface EtcdPhases {
  /** Every node's API answers. */
  readonly apis: number;
  /** The first control plane accepted the bootstrap. */
  readonly bootstrapped: number;
  /** etcd healthy, per node in order. */
  readonly healthy: readonly number[];
}

/**
 * Waits for every node's API, bootstraps etcd on the first control plane and waits until every
 * control plane's etcd service is running and healthy, as `converge cluster create` does.
 */
async function formEtcd(c: LocalCluster, tls: Tls, start = performance.now()): Promise<EtcdPhases> {
  const clients = c.nodes.map((n) => createNodeClient(n.name, n.endpoint, tls));
  try {
    await Promise.all(
      clients.map((client) =>
        until(`the API of ${client.name}`, () => client.json<NodeInfo>('GET', '/v1/node/info')),
      ),
    );
    const apis = performance.now() - start;
    await clients[0]!.json('POST', '/v1/node/bootstrap', {});
    const bootstrapped = performance.now() - start;
    const healthy = await Promise.all(
      clients.map(async (client) => {
        await untilEtcdHealthy(client);
        return performance.now() - start;
      }),
    );
    return { apis, bootstrapped, healthy };
  } finally {
    for (const client of clients) client.close();
  }
}

/** Creates a 3-control-plane cluster in a temporary folder, runs `use`, and destroys it whatever happens. */
async function withCluster<T>(port: number, use: (c: LocalCluster, tls: Tls) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-cluster-'));
  let created = false;
  try {
    const c = await createLocalCluster({
      dir: join(dir, 'c'),
      controlPlanes: 3,
      workers: 0,
      port,
      firstAddress: 41,
      etcdPorts,
    });
    created = true;
    return await use(c, await tlsOf(join(c.dir, 'ca'), join(c.dir, 'admin.crt'), join(c.dir, 'admin.key')));
  } finally {
    if (created) await destroyLocalCluster(join(dir, 'c'));
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ms from `createLocalCluster` (3 control planes) until etcd is healthy on every one, bootstrap included. */
function cluster(port: number, phases: EtcdPhases[]): Promise<number> {
  const start = performance.now();
  return withCluster(port, async (c, tls) => {
    phases.push(await formEtcd(c, tls, start));
    return performance.now() - start;
  });
}

/** The median phases of several cluster runs, in words. */
function describePhases(phases: readonly EtcdPhases[]): string {
  const ms = (xs: number[]) => `${(median(xs) / 1000).toFixed(1)} s`;
  const healthy = phases[0]!.healthy.map((_, i) => `cp-${i + 1} ${ms(phases.map((p) => p.healthy[i]!))}`);
  return `every API answering ${ms(phases.map((p) => p.apis))}, bootstrap accepted ${ms(phases.map((p) => p.bootstrapped))}, etcd healthy: ${healthy.join(', ')}`;
}

/** Ms to upgrade the nodes one after another through `POST /v1/node/upgrade`, until each booted `version`. */
async function rollingUpgrade(c: LocalCluster, tls: Tls, version: string): Promise<number> {
  const start = performance.now();
  for (const node of c.nodes) {
    const client = createNodeClient(node.name, node.endpoint, tls);
    try {
      let booted: unknown;
      await client.stream(
        '/v1/node/upgrade',
        (item) => {
          if (item.type === 'booted') booted = item.version;
        },
        undefined,
        { image: { version }, wait: true },
      );
      if (booted !== version) throw new Error(`bench: ${node.name} booted ${String(booted)}, not ${version}`);
      // Booted (running and ready) can come before etcd is back: the next node's guard would refuse.
      await untilEtcdHealthy(client);
    } finally {
      client.close();
    }
  }
  return performance.now() - start;
}

/** The baseline: the same nodes rebooted one after another, each until running and ready again. */
async function rollingReboot(c: LocalCluster, tls: Tls): Promise<number> {
  const start = performance.now();
  for (const node of c.nodes) {
    const client = createNodeClient(node.name, node.endpoint, tls);
    try {
      const { bootId } = await client.json<NodeInfo>('GET', '/v1/node/info');
      await client.json('POST', '/v1/node/reboot', {});
      await untilReady(node.endpoint, tls, bootId);
      await untilEtcdHealthy(client);
    } finally {
      client.close();
    }
  }
  return performance.now() - start;
}

/** RSS of an idle Node.js process. */
async function idleNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(300);
  const bytes = await rss(child.pid ?? 0);
  await stop(child);
  return bytes;
}

/** Runs the node benchmark. */
export async function run(): Promise<BenchReport> {
  let port = 50_400;
  const rssValues: number[] = [];
  const single = await pairedMeasures(
    3,
    async () => {
      const r = await oneNode(port++);
      rssValues.push(r.rss);
      return r.ms;
    },
    cliStart,
  );
  const phases: EtcdPhases[] = [];
  const three = await pairedMeasures(
    clusterPairs,
    () => cluster(port++, phases),
    async () => median(await Promise.all([cliStart(), cliStart(), cliStart()])),
  );
  let version = 0;
  const upgrade = await withCluster(port++, async (c, tls) => {
    await formEtcd(c, tls);
    return pairedMeasures(
      upgradePairs,
      () => rollingUpgrade(c, tls, `v1.${++version}.0-bench`),
      () => rollingReboot(c, tls),
    );
  });
  const idle = await idleNodeRss();
  const counted = await reconcilesToReady(workerConfig);
  const clusterRow = pairedCostRow(
    '3-node cluster: create -> etcd healthy on every control plane, bootstrap included (wall)',
    three,
    40,
  );
  return {
    name: 'node',
    rows: [
      pairedCostRow('one node process: start -> running and ready', single, 20),
      { ...clusterRow, target: `< ${clusterGoalMs / 1000} s wall (goal)`, met: three.ours < clusterGoalMs },
      pairedCostRow(
        'rolling upgrade of 3 nodes via POST /v1/node/upgrade, each until booted and etcd healthy (wall)',
        upgrade,
        3,
      ),
      costRow('memory of a node process (RSS, ready)', median(rssValues), idle, 'bytes', 6),
      {
        figure: 'reconciles per resource, one node start -> ready (in process)',
        value: counted.reconciles / counted.resources,
        unit: 'reconciles',
      },
    ],
    notes: [
      'baselines: `converge --version` from source (the same start-up: Node.js, tsx, the CLI), run in interleaved pairs; three at once for the cluster',
      `cluster: ${clusterPairs} pairs; createLocalCluster then, as \`converge cluster create\`, POST /v1/node/bootstrap on cp-1 and GET /v1/node/services until etcd runs healthy on all three (learners are promoted first)`,
      'the goal of issue 15: a 3-node cluster healthy in under 10 s wall',
      `cluster phases after create (median): ${describePhases(phases)}`,
      `rolling upgrade: ${upgradePairs} pairs on one formed cluster; each node until it booted the new version and its etcd is healthy again (the next node's upgrade guard needs every member healthy); baseline: POST /v1/node/reboot on each node in turn until it is running and ready on a new boot id and its etcd healthy (an upgrade is the guard, the install, that reboot and the commit)`,
      'memory baseline: the RSS of an idle Node.js process',
      `reconciles: ${counted.reconciles} reconciles by ${counted.controllers} controllers for ${counted.resources} resources; busiest: ${counted.busiest.join(', ')}`,
    ],
  };
}
