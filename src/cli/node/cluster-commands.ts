/**
 * `converge cluster create|destroy`: a local cluster of node processes, with progress while the
 * nodes come up and a one-line summary.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { NodeInfo } from '../../node/api/node-info.js';
import { createLocalCluster, destroyLocalCluster } from '../../node/cluster/local-cluster.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { createNodeClient } from './node-client.js';
import { createProgress } from './progress.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Options of `converge cluster create`. */
export interface ClusterCreateFlags {
  readonly controlPlanes: number;
  readonly workers: number;
  readonly dir: string;
  readonly port: number;
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
      name: flags.name,
    });
  } catch (error) {
    throw new CliError(`cannot create the cluster: ${(error as Error).message}`, exitCodes.usage);
  }
  const progress = createProgress(
    cluster.nodes.map((n) => n.name),
    2,
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
  await Promise.all(
    cluster.nodes.map(async (node) => {
      progress.update(node.name, 1, `process ${node.pid} started on ${node.address}`);
      const client = createNodeClient(node.name, node.endpoint, tls);
      try {
        for (;;) {
          try {
            const info = await client.json<NodeInfo>('GET', '/v1/node/info');
            progress.update(node.name, 2, `API up (${info.machineType}, stage ${info.stage})`);
            return;
          } catch {
            if (Date.now() > deadline) {
              failures.push(node.name);
              return;
            }
            await sleep(100);
          }
        }
      } finally {
        client.close();
      }
    }),
  );
  const seconds = ((Date.now() - started) / 1_000).toFixed(1);
  if (failures.length > 0) {
    progress.finish(
      `cluster create: ${failures.join(', ')} did not answer within ${flags.timeout} s (logs in ${cluster.dir}/nodes/*/node.log)`,
    );
    throw new CliError('the cluster did not come up', exitCodes.failure);
  }
  progress.finish(
    `cluster ${flags.name}: ${flags.controlPlanes} control plane(s), ${flags.workers} worker(s) up in ${seconds} s; export CONVERGE_CONFIG=${cluster.clientConfig}`,
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
