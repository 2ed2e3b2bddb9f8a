/**
 * `npm run bench -- node`: node processes as users run them (`converge node run`, from source):
 * one node from start to MachineStatus running and ready, a 3-node cluster to healthy (wall), and
 * the memory of a node process. Baselines, measured in interleaved pairs in the same run: the same
 * executable printing its version (process and CLI start alone) and the memory of an idle Node.js.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeClient } from '../src/cli/node/node-client.js';
import type { NodeInfo } from '../src/node/api/node-info.js';
import { createLocalCluster, destroyLocalCluster } from '../src/node/cluster/local-cluster.js';
import { type BenchReport, costRow, median, pairedCostRow, pairedMeasures } from './harness.js';

const converge = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'converge');
const env = { ...process.env, CONVERGE_CLI_FROM_SOURCE: '1' };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Ms for `converge --version` to run and exit. */
function cliStart(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(converge, ['--version'], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - start));
  });
}

async function untilReady(endpoint: string, tls: { ca: string; cert: string; key: string }): Promise<void> {
  const client = createNodeClient('bench', endpoint, tls);
  try {
    for (;;) {
      const info = await client.json<NodeInfo>('GET', '/v1/node/info').catch(() => undefined);
      if (info?.stage === 'running' && info.ready) return;
      await sleep(20);
    }
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
  await writeFile(join(dir, 'machine.yaml'), 'version: v1alpha1\nmachine:\n  type: worker\n');
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

/** Ms from `createLocalCluster` (3 control planes) until every node runs and is ready. */
async function cluster(port: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-cluster-'));
  const start = performance.now();
  try {
    const c = await createLocalCluster({
      dir: join(dir, 'c'),
      controlPlanes: 3,
      workers: 0,
      port,
      firstAddress: 41,
    });
    const tls = await tlsOf(join(c.dir, 'ca'), join(c.dir, 'admin.crt'), join(c.dir, 'admin.key'));
    await Promise.all(c.nodes.map((n) => untilReady(n.endpoint, tls)));
    return performance.now() - start;
  } finally {
    await destroyLocalCluster(join(dir, 'c'));
    await rm(dir, { recursive: true, force: true });
  }
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
  const three = await pairedMeasures(
    2,
    () => cluster(port++),
    async () => median(await Promise.all([cliStart(), cliStart(), cliStart()])),
  );
  const idle = await idleNodeRss();
  return {
    name: 'node',
    rows: [
      pairedCostRow('one node process: start -> running and ready', single, 20),
      pairedCostRow('3-node cluster: create -> every node running and ready (wall)', three, 40),
      costRow('memory of a node process (RSS, ready)', median(rssValues), idle, 'bytes', 6),
    ],
    notes: [
      'baselines: `converge --version` from source (the same start-up: Node.js, tsx, the CLI), run in interleaved pairs; three at once for the cluster',
      'memory baseline: the RSS of an idle Node.js process',
      'the goal of issue 15: a 3-node cluster healthy in under 10 s wall',
    ],
  };
}
