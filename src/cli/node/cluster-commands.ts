/**
 * `converge cluster create|destroy`: a local cluster of node processes, with progress while the
 * nodes come up and a one-line summary.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { NodeInfo } from '../../node/api/node-info.js';
import {
  type ClusterNode,
  createLocalCluster,
  destroyLocalCluster,
} from '../../node/cluster/local-cluster.js';
import type { ServiceStatus } from '../../node/supervisor/service-runner.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { createNodeClient, type NodeClient } from './node-client.js';
import { createProgress, type Progress } from './progress.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Options of `converge cluster create`. */
export interface ClusterCreateFlags {
  readonly controlPlanes: number;
  readonly workers: number;
  readonly dir: string;
  readonly port: number;
  /** The last octet of the first node's address: 11 puts the nodes on 127.0.0.11, .12, … */
  readonly firstAddress: number;
  readonly name: string;
  readonly timeout: number;
}

/** Creates the cluster and waits until every node's API answers. */
export async function clusterCreateCommand(flags: ClusterCreateFlags, out: Output): Promise<void> {
  const started = Date.now();
  let cluster: Awaited<ReturnType<typeof createLocalCluster>>;
  try {
    cluster = await createLocalCluster({
      dir: flags.dir,
      controlPlanes: flags.controlPlanes,
      workers: flags.workers,
      port: flags.port,
      firstAddress: flags.firstAddress,
      name: flags.name,
    });
  } catch (error) {
    throw new CliError(`cannot create the cluster: ${(error as Error).message}`, exitCodes.usage);
  }
  const progress = createProgress(
    cluster.nodes.map((n) => n.name),
    3,
    out,
  );
  const config = parseYaml(await readFile(cluster.clientConfig, 'utf8')) as {
    ca: string;
    cert: string;
    key: string;
  };
  const tls = {
    ca: await readFile(config.ca, 'utf8'),
    cert: await readFile(config.cert, 'utf8'),
    key: await readFile(config.key, 'utf8'),
  };
  const deadline = Date.now() + flags.timeout * 1_000;
  const failures: string[] = [];
  const clients = cluster.nodes.map((node) => createNodeClient(node.name, node.endpoint, tls));
  try {
    await Promise.all(
      cluster.nodes.map(async (node, i) => {
        progress.update(node.name, 1, `process ${node.pid} started on ${node.address}`);
        const info = await until(deadline, () => clients[i]!.json<NodeInfo>('GET', '/v1/node/info'));
        if (info === undefined) failures.push(node.name);
        else progress.update(node.name, 2, `API up (${info.machineType}, stage ${info.stage})`);
      }),
    );
    if (failures.length === 0) await formEtcd(cluster.nodes, clients, deadline, progress, failures);
  } finally {
    for (const client of clients) client.close();
  }
  const seconds = ((Date.now() - started) / 1_000).toFixed(1);
  if (failures.length > 0) {
    progress.finish(
      `cluster create: ${failures.join(', ')} not up within ${flags.timeout} s (logs in ${cluster.dir}/nodes/*/node.log)`,
    );
    throw new CliError('the cluster did not come up', exitCodes.failure);
  }
  progress.finish(
    `cluster ${flags.name}: ${flags.controlPlanes} control plane(s), ${flags.workers} worker(s) up in ${seconds} s; export CONVERGE_CONFIG=${cluster.clientConfig}`,
  );
}

/** Calls `attempt` until it answers or `deadline` passes (then `undefined`). */
async function until<T>(deadline: number, attempt: () => Promise<T | undefined>): Promise<T | undefined> {
  for (;;) {
    try {
      const answer = await attempt();
      if (answer !== undefined) return answer;
    } catch {
      // not up yet: try again
    }
    if (Date.now() > deadline) return undefined;
    await sleep(200);
  }
}

/**
 * Bootstraps etcd on the first control plane (as `talosctl cluster create` does) and waits until
 * every control plane's member is healthy: the others join as learners and are promoted on their own.
 */
async function formEtcd(
  nodes: readonly ClusterNode[],
  clients: readonly NodeClient[],
  deadline: number,
  progress: Progress,
  failures: string[],
): Promise<void> {
  const first = nodes.findIndex((n) => n.type === 'controlplane');
  await clients[first]!.json('POST', '/v1/node/bootstrap', {});
  await Promise.all(
    nodes.map(async (node, i) => {
      if (node.type !== 'controlplane') {
        progress.update(node.name, 3, 'worker: no etcd member');
        return;
      }
      const healthy = await until(deadline, async () => {
        const { services } = await clients[i]!.json<{ services: ServiceStatus[] }>(
          'GET',
          '/v1/node/services',
        );
        return (
          services.some((s) => s.id === 'etcd' && s.state === 'Running' && s.healthy === true) || undefined
        );
      });
      if (healthy === undefined) failures.push(`${node.name} (etcd)`);
      else progress.update(node.name, 3, 'etcd member healthy');
    }),
  );
}

/** Stops every node process of the cluster and removes its folder. */
export async function clusterDestroyCommand(dir: string, out: Output): Promise<void> {
  let stopped: number;
  try {
    stopped = await destroyLocalCluster(dir);
  } catch (error) {
    throw new CliError(`cannot destroy the cluster: ${(error as Error).message}`, exitCodes.usage);
  }
  out.write(`cluster destroyed: ${stopped} node process(es) stopped, ${dir} removed\n`);
}
