/**
 * A local cluster of node processes (`converge cluster create|destroy`): one shared CA, and per node
 * its own loopback address (127.0.0.11, .12, …), state directory, machine config and `converge node
 * run` process; a client config names every node. Everything lives in the cluster's folder, and
 * destroy stops every process and removes the folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { generateCa, issueCertificate, type PemKeyPair } from '../../api/certificates.js';
import { defaultHealthzPort } from '../../controllers/k8s/kubelet-configuration.js';
import { readFileIfExists, writeFileAtomic } from '../../platform/disk/atomic-file.js';
import { assertEtcdInstalled, assertListenersFree, type PlannedListener } from './preflight.js';

/** Options of {@link createLocalCluster}. */
export interface LocalClusterOptions {
  /** The cluster's folder (created; must not hold a cluster already). */
  readonly dir: string;
  readonly controlPlanes: number;
  readonly workers: number;
  /** The node API port, the same on every node's address (default 50000). */
  readonly port?: number;
  /** The last octet of the first node's address in 127.0.0.0/8 (default 11). */
  readonly firstAddress?: number;
  /** The cluster's name (default `converge`). */
  readonly name?: string;
  /** etcd's client and peer ports on every control plane's address (default 2379 and 2380). */
  readonly etcdPorts?: { readonly client: number; readonly peer: number };
}

/** One node of a local cluster. */
export interface ClusterNode {
  readonly name: string;
  readonly address: string;
  readonly endpoint: string;
  readonly type: 'controlplane' | 'worker';
  readonly stateDir: string;
  readonly pid: number;
}

/** A created cluster: its nodes and the client config that reaches them. */
export interface LocalCluster {
  readonly dir: string;
  readonly nodes: readonly ClusterNode[];
  /** The client config (`--config` / `CONVERGE_CONFIG`): endpoint, certificates, nodes. */
  readonly clientConfig: string;
}

/** The `converge` executable beside this module (src/ and dist/ alike). */
const converge = fileURLToPath(new URL('../../../bin/converge', import.meta.url));

/** What a node's machine config says. */
interface NodeConfigOptions {
  readonly clusterName: string;
  readonly type: 'controlplane' | 'worker';
  readonly hostname: string;
  readonly address: string;
  /** The cluster's etcd CA (every member shares it) and where the members are. */
  readonly etcd: {
    readonly ca: PemKeyPair;
    readonly client: number;
    readonly peer: number;
    readonly members: readonly string[];
  };
  /** Kubernetes: the API endpoint every kubelet is pointed at, the bootstrap token and the cluster CA. */
  readonly kubernetes: { readonly endpoint: string; readonly token: string; readonly ca: PemKeyPair };
}

/**
 * A node's machine config: its own loopback address on `eth0` (so etcd advertises it), its
 * hostname, the cluster's etcd (CA, ports, and the control planes a joining member asks), and the
 * kubelet's cluster (endpoint, token, CA). No API server runs: the stand-in kubelet checks its files
 * and serves `/healthz` on the node's own address, so the nodes' kubelets do not share a port.
 */
function machineConfig(o: NodeConfigOptions): string {
  return toYaml({
    version: 'v1alpha1',
    machine: {
      type: o.type,
      certSANs: [o.address],
      network: {
        hostname: o.hostname,
        nameservers: ['10.0.0.1'],
        // The host's loopback network stands for the cluster's network; 127.0.0.1 is its gateway.
        interfaces: [
          { interface: 'eth0', addresses: [`${o.address}/8`], routes: [{ gateway: '127.0.0.1' }] },
        ],
      },
      kubelet: { extraConfig: { healthzBindAddress: o.address } },
    },
    cluster: {
      clusterName: o.clusterName,
      controlPlane: { endpoint: o.kubernetes.endpoint },
      token: o.kubernetes.token,
      ca: { crt: o.kubernetes.ca.cert, key: o.kubernetes.ca.key },
      etcd: {
        ca: { crt: o.etcd.ca.cert, key: o.etcd.ca.key },
        listenSubnets: ['127.0.0.0/8'],
        clientPort: o.etcd.client,
        peerPort: o.etcd.peer,
        joinEndpoints: [...o.etcd.members],
      },
    },
  });
}

/** A random Kubernetes bootstrap token, `<6>.<16>` of [a-z0-9]. */
function bootstrapToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

async function writePair(dir: string, name: string, pair: PemKeyPair): Promise<void> {
  await writeFileAtomic(join(dir, `${name}.crt`), pair.cert, { mode: 0o644 });
  await writeFileAtomic(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
}

/** Starts one node process, detached (its own process group), logging into its folder. */
async function startNodeProcess(
  nodeDir: string,
  address: string,
  port: number,
  caDir: string,
): Promise<ChildProcess> {
  const log = await open(join(nodeDir, 'node.log'), 'a', 0o600);
  try {
    const child = spawn(
      converge,
      [
        'node',
        'run',
        '--config',
        join(nodeDir, 'machine.yaml'),
        '--state-dir',
        join(nodeDir, 'state'),
        '--address',
        address,
        '--port',
        String(port),
        '--ca-dir',
        caDir,
      ],
      { detached: true, stdio: ['ignore', log.fd, log.fd], env: process.env },
    );
    await new Promise<void>((ok, fail) => {
      child.once('spawn', ok);
      child.once('error', fail);
    });
    child.unref();
    return child;
  } finally {
    await log.close();
  }
}

/** The options with every default filled in and the folder made absolute. */
type ClusterPlan = Required<LocalClusterOptions>;

/** Fills the defaults once; every step below reads the same values. */
function planOf(options: LocalClusterOptions): ClusterPlan {
  return {
    ...options,
    dir: resolve(options.dir),
    port: options.port ?? 50_000,
    firstAddress: options.firstAddress ?? 11,
    name: options.name ?? 'converge',
    etcdPorts: options.etcdPorts ?? { client: 2379, peer: 2380 },
  };
}

/** The address of the `i`-th node (control planes first). */
const nodeAddress = (plan: ClusterPlan, i: number) => `127.0.0.${plan.firstAddress + i}`;

/** What every node will listen on: its API, its kubelet's `/healthz`, and a control plane's etcd. */
function plannedListeners(plan: ClusterPlan): PlannedListener[] {
  const { port, etcdPorts: etcd } = plan;
  return Array.from({ length: plan.controlPlanes + plan.workers }, (_, i) => {
    const host = nodeAddress(plan, i);
    const own = [
      { host, port, what: 'node API' },
      { host, port: defaultHealthzPort, what: 'kubelet /healthz' },
    ];
    if (i >= plan.controlPlanes) return own;
    return [
      ...own,
      { host, port: etcd.client, what: 'etcd client' },
      { host, port: etcd.peer, what: 'etcd peer' },
    ];
  }).flat();
}

/** The cluster-wide secrets every node's config carries. */
interface ClusterSecrets {
  readonly etcdCa: PemKeyPair;
  readonly kubernetes: { readonly endpoint: string; readonly token: string; readonly ca: PemKeyPair };
}

/** Writes the API CA and the admin and reader certificates; makes the etcd and Kubernetes secrets. */
async function makeSecrets(dir: string, name: string, firstControlPlane: string): Promise<ClusterSecrets> {
  await mkdir(join(dir, 'ca'), { recursive: true, mode: 0o700 });
  const ca = await generateCa({ commonName: `${name} cluster CA` });
  await writePair(join(dir, 'ca'), 'ca', ca);
  for (const role of ['admin', 'reader'] as const) {
    await writePair(
      dir,
      role,
      await issueCertificate(ca, { usage: 'client', commonName: role, roles: [role] }),
    );
  }
  return {
    etcdCa: await generateCa({ commonName: `${name} etcd CA` }),
    kubernetes: {
      endpoint: `https://${firstControlPlane}:6443`,
      token: bootstrapToken(),
      ca: await generateCa({ commonName: `${name} kubernetes CA` }),
    },
  };
}

/** Checks the shape of a cluster: at least one control plane, addresses within 127.0.0.2-254. */
function validateShape(plan: ClusterPlan): void {
  if (!Number.isInteger(plan.controlPlanes) || plan.controlPlanes < 1) {
    throw new RangeError('a cluster needs at least one control plane');
  }
  if (!Number.isInteger(plan.workers) || plan.workers < 0) throw new RangeError('workers must be 0 or more');
  if (plan.firstAddress < 2 || plan.firstAddress + plan.controlPlanes + plan.workers > 255)
    throw new RangeError('the node addresses must stay within 127.0.0.2-254');
}

/**
 * Writes each node's folder and config and starts its process; `started` receives each pid at once,
 * so a failure midway can stop what already runs.
 */
async function startNodes(
  plan: ClusterPlan,
  secrets: ClusterSecrets,
  started: number[],
): Promise<ClusterNode[]> {
  const members = Array.from({ length: plan.controlPlanes }, (_, i) => nodeAddress(plan, i));
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < plan.controlPlanes + plan.workers; i++) {
    const type = i < plan.controlPlanes ? 'controlplane' : 'worker';
    const nodeName = type === 'controlplane' ? `cp-${i + 1}` : `worker-${i - plan.controlPlanes + 1}`;
    const address = nodeAddress(plan, i);
    const nodeDir = join(plan.dir, 'nodes', nodeName);
    await mkdir(join(nodeDir, 'state'), { recursive: true, mode: 0o700 });
    const config = machineConfig({
      clusterName: plan.name,
      type,
      hostname: nodeName,
      address,
      etcd: { ca: secrets.etcdCa, ...plan.etcdPorts, members },
      kubernetes: secrets.kubernetes,
    });
    await writeFileAtomic(join(nodeDir, 'machine.yaml'), config, { mode: 0o600 });
    const child = await startNodeProcess(nodeDir, address, plan.port, join(plan.dir, 'ca'));
    started.push(child.pid ?? 0);
    await writeFileAtomic(join(nodeDir, 'pid'), String(child.pid));
    const endpoint = `https://${address}:${plan.port}`;
    nodes.push({
      name: nodeName,
      address,
      endpoint,
      type,
      stateDir: join(nodeDir, 'state'),
      pid: child.pid ?? 0,
    });
  }
  return nodes;
}

/**
 * Creates the folder, the CA and certificates, the configs, and starts every node process. A
 * failure midway stops the processes already started and removes the folder.
 */
export async function createLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const plan = planOf(options);
  validateShape(plan);
  const { dir, port, name } = plan;
  if ((await readFileIfExists(join(dir, 'cluster.yaml'))) !== undefined) {
    throw new Error(`${dir} already holds a cluster: destroy it first`);
  }
  // Everything in the folder is the cluster's: destroy removes it whole.
  const existing = await readdir(dir).catch(() => undefined);
  if (existing !== undefined && existing.length > 0) {
    throw new Error(`${dir} is not empty: the cluster's folder must be new or empty (destroy removes it)`);
  }
  await assertEtcdInstalled();
  await assertListenersFree(plannedListeners(plan));
  const started: number[] = [];
  try {
    const secrets = await makeSecrets(dir, name, nodeAddress(plan, 0));
    const nodes = await startNodes(plan, secrets, started);
    const clientConfig = join(dir, 'config.yaml');
    await writeFileAtomic(
      clientConfig,
      toYaml({
        ca: join(dir, 'ca', 'ca.crt'),
        cert: join(dir, 'admin.crt'),
        key: join(dir, 'admin.key'),
        nodes: Object.fromEntries(nodes.map((n) => [n.name, n.endpoint])),
      }),
    );
    await writeFileAtomic(join(dir, 'cluster.yaml'), toYaml({ name, port, nodes }));
    return { dir, nodes, clientConfig };
  } catch (error) {
    // Each node runs in its own process group: the group takes its etcd and kubelet with it.
    for (const pid of started) killGroup(pid);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** SIGKILL to a node's process group (its services included), or to the process alone. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Whether `pid` is a `converge node run` of this cluster (a recycled pid is someone else's). */
async function isClusterProcess(pid: number, dir: string): Promise<boolean> {
  let cmdline: Buffer;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`);
  } catch (error) {
    // Gone before or while it was read (ENOENT, ESRCH): not running.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return false;
    throw error;
  }
  const args = cmdline.toString('utf8').split('\0');
  return args.includes('run') && args.some((a) => a.startsWith(dir));
}

/** The pids of the cluster's node processes still running. */
async function clusterProcesses(dir: string): Promise<number[]> {
  const root = resolve(dir);
  const names = await readdir(join(root, 'nodes')).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const name of names) {
    const text = await readFileIfExists(join(root, 'nodes', name, 'pid'));
    const pid = Number(text?.toString('utf8'));
    if (Number.isInteger(pid) && pid > 0 && (await isClusterProcess(pid, root))) pids.push(pid);
  }
  return pids;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Stops every node process (SIGTERM, then SIGKILL to the process group after `graceMs`) and removes
 * the cluster's folder.
 */
export async function destroyLocalCluster(dir: string, graceMs = 20_000): Promise<number> {
  const root = resolve(dir);
  if ((await readFileIfExists(join(root, 'cluster.yaml'))) === undefined) {
    throw new Error(`${root} holds no cluster (no cluster.yaml)`);
  }
  const pids = await clusterProcesses(root);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let alive = pids;
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50);
    alive = (await clusterProcesses(root)).filter((p) => pids.includes(p));
  }
  for (const pid of alive) killGroup(pid);
  await rm(root, { recursive: true, force: true });
  return pids.length;
}
