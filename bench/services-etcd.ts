/**
 * The etcd section of `npm run bench -- services`: control-plane nodes in this process with real
 * etcd members on loopback addresses (a simulated network holding 127.0.0.6x, real processes).
 *
 * - one node from `createNode` to `Service etcd` healthy and `EtcdMember/local` present, its
 *   bootstrap included (wall), against one plain etcd with the same TLS flags spawned directly
 *   until `/health` answers;
 * - three nodes from `createNode` to three healthy voting members (the first bootstrapped, the
 *   others joining as learners and promoted one at a time), against three plain members formed
 *   with a static `--initial-cluster`.
 *
 * Addresses and ports are this benchmark's own (127.0.0.61-68, 34379/34380): the tests use others.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generateCa, type PemKeyPair } from '../src/api/certificates.js';
import { openEtcdClient } from '../src/node/etcd/etcd-client.js';
import {
  bootstrapEtcd,
  createChildProcesses,
  createNode,
  createSimulatedPlatform,
  EtcdMembers,
  etcdServiceId,
  type Node,
  Services,
  type V1Alpha1ConfigInput,
} from '../src/node/index.js';
import { wallClock } from '../src/runtime/clock.js';
import { etcdAnswersHealthy, plainEtcdCluster, plainEtcdPki, until } from './etcd-baseline.js';
import { type BenchRow, median, pairedCostRow, pairedMeasures } from './harness.js';

const ports = { client: 34_379, peer: 34_380 };
const single = { ours: '127.0.0.61', plain: '127.0.0.62' };
const trio = {
  ours: ['127.0.0.63', '127.0.0.64', '127.0.0.65'],
  plain: ['127.0.0.66', '127.0.0.67', '127.0.0.68'],
};

/** A control plane's config: one loopback address on eth0, the shared etcd CA, this bench's ports. */
function controlPlane(hostname: string, address: string, ca: PemKeyPair, members: readonly string[]) {
  const config: V1Alpha1ConfigInput = {
    version: 'v1alpha1',
    machine: {
      type: 'controlplane',
      network: {
        hostname,
        nameservers: ['10.0.0.1'],
        interfaces: [{ interface: 'eth0', addresses: [`${address}/32`] }],
      },
    },
    cluster: {
      etcd: {
        ca: { crt: ca.cert, key: ca.key },
        listenSubnets: ['127.0.0.0/8'],
        clientPort: ports.client,
        peerPort: ports.peer,
        joinEndpoints: [...members],
      },
    },
  };
  return config;
}

interface BenchNode {
  readonly node: Node;
  readonly dir: string;
}

/** Makes and starts a node in its own temporary directory. */
async function startNode(config: V1Alpha1ConfigInput, name: string, dirs: string[]): Promise<BenchNode> {
  const dir = await mkdtemp(join(tmpdir(), `converge-bench-etcd-${name}-`));
  dirs.push(dir);
  const platform = createSimulatedPlatform({
    clock: wallClock,
    seed: 1,
    hostname: '',
    links: [{ name: 'eth0' }],
    time: { synced: true },
    processes: createChildProcesses(),
    loopbackNodeAddresses: true,
  });
  // Errors only: before the bootstrap every member warns that it waits to join, as it should.
  const logger = pino({ level: 'error', base: { node: name } }, pino.destination(2));
  const node = await createNode({ config, platform, stateDir: dir, clock: wallClock, logger });
  await node.start();
  return { node, dir };
}

/** Stops nodes (their etcd with them) and removes their directories, whatever happened. */
async function stopNodes(nodes: readonly BenchNode[], dirs: readonly string[]): Promise<void> {
  const failures: unknown[] = [];
  for (const t of nodes) await t.node.stop().catch((error: unknown) => failures.push(error));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  if (failures.length > 0) throw failures[0];
}

/** Bootstraps the node once its etcd service waits to join (as a user runs `converge bootstrap`). */
async function bootstrapWhenPreparing(t: BenchNode): Promise<void> {
  await until(
    async () => t.node.supervisor.list().some((s) => s.id === etcdServiceId && s.state === 'Preparing'),
    'etcd preparing',
  );
  await bootstrapEtcd(t.node);
}

/** Whether the node's `Service etcd` is healthy and `EtcdMember/local` exists. */
async function etcdHealthy(t: BenchNode): Promise<boolean> {
  const services = await t.node.state.list(Services.kind());
  const healthy = services.some((s) => s.metadata.id === etcdServiceId && s.spec.healthy);
  return healthy && (await t.node.state.list(EtcdMembers.kind())).length > 0;
}

const pkiDirOf = (t: BenchNode) => join(t.dir, 'system', 'secrets', 'etcd');

/** Whether the node's member answers `/health` healthy (the baseline's probe, with the node's admin cert). */
async function answers(t: BenchNode, address: string): Promise<boolean> {
  const pki = pkiDirOf(t);
  const read = (f: string) => readFile(join(pki, f), 'utf8').catch(() => '');
  const [ca, cert, key] = await Promise.all([read('ca.crt'), read('admin.crt'), read('admin.key')]);
  if (ca === '' || cert === '' || key === '') return false;
  return etcdAnswersHealthy(address, ports.client, { ca, cert, key });
}

/** One node from start to a healthy etcd; also when its member first answered `/health`. */
async function nodeToEtcd(ca: PemKeyPair): Promise<{ healthyMs: number; answeredMs: number }> {
  const dirs: string[] = [];
  const nodes: BenchNode[] = [];
  try {
    const start = performance.now();
    const t = await startNode(controlPlane('etcd-1', single.ours, ca, [single.ours]), 'single', dirs);
    nodes.push(t);
    await bootstrapWhenPreparing(t);
    await until(() => answers(t, single.ours), 'the member answering /health');
    const answeredMs = performance.now() - start;
    await until(() => etcdHealthy(t), 'Service etcd healthy and EtcdMember/local');
    return { healthyMs: performance.now() - start, answeredMs };
  } finally {
    await stopNodes(nodes, dirs);
  }
}

/** Whether the cluster seen from `t` has `n` named voting members. */
async function voters(t: BenchNode, address: string, n: number): Promise<boolean> {
  const client = await openEtcdClient([`https://${address}:${ports.client}`], pkiDirOf(t), wallClock);
  try {
    const { members } = await client.cluster.memberList({ linearizable: true });
    return members.length === n && members.every((m) => m.name !== '' && !m.isLearner);
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Three nodes from start to three healthy voting members (the first bootstrapped); also when all three voted. */
async function threeNodesToEtcd(ca: PemKeyPair): Promise<{ healthyMs: number; votersMs: number }> {
  const dirs: string[] = [];
  const nodes: BenchNode[] = [];
  try {
    const start = performance.now();
    const started = await Promise.allSettled(
      trio.ours.map((address, i) =>
        startNode(controlPlane(`etcd-cp-${i + 1}`, address, ca, trio.ours), `cp-${i + 1}`, dirs),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await bootstrapWhenPreparing(nodes[0]!);
    await until(() => voters(nodes[0]!, trio.ours[0]!, 3), 'three voting members', 180_000);
    const votersMs = performance.now() - start;
    await Promise.all(nodes.map((t) => until(() => etcdHealthy(t), 'every member healthy', 180_000)));
    return { healthyMs: performance.now() - start, votersMs };
  } finally {
    await stopNodes(nodes, dirs);
  }
}

/** The etcd rows: a node to etcd healthy and a three-member cluster formed, each against plain etcd. */
export async function etcdSection(pairs: number): Promise<BenchRow[]> {
  const ca = await generateCa({ commonName: 'bench etcd CA' });
  const plainSingle = await plainEtcdPki([single.plain]);
  const plainTrio = await plainEtcdPki(trio.plain);
  const answered: number[] = [];
  await nodeToEtcd(ca); // warm-up
  const one = await pairedMeasures(
    pairs,
    async () => {
      const run = await nodeToEtcd(ca);
      answered.push(run.answeredMs);
      return run.healthyMs;
    },
    () => plainEtcdCluster([single.plain], ports, plainSingle),
  );
  const voted: number[] = [];
  const three = await pairedMeasures(
    pairs,
    async () => {
      const run = await threeNodesToEtcd(ca);
      voted.push(run.votersMs);
      return run.healthyMs;
    },
    () => plainEtcdCluster(trio.plain, ports, plainTrio),
  );
  return [
    pairedCostRow('node start → Service etcd healthy, EtcdMember/local (wall, bootstrap included)', one, 10),
    { figure: 'node start → its member answers /health (wall)', value: median(answered), unit: 'ms' },
    pairedCostRow('3 nodes start → 3 Service etcd healthy, all voters (wall, 2 learner joins)', three, 20),
    { figure: '3 nodes start → member list shows 3 voters (wall)', value: median(voted), unit: 'ms' },
  ];
}
