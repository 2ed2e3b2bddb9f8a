import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNode,
  createSimulatedPlatform,
  type Node,
  type ScriptedProcess,
  type V1Alpha1ConfigInput,
} from '../../../src/node/index.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/index.js';
import { settle } from '../helpers.js';

/** Options of a kubelet test config. */
export interface KubeletConfigOptions {
  addresses?: readonly string[];
  validSubnets?: readonly string[];
  token?: string;
  nameservers?: readonly string[];
  timeServers?: readonly string[];
  nodeLabels?: Record<string, string>;
  certSANs?: readonly string[];
  installImage?: string;
  etcdArgs?: Record<string, string>;
  extraArgs?: Record<string, string>;
  healthzPort?: number;
}

/** A worker config with a static address on eth0, a control-plane endpoint and a bootstrap token. */
export function kubeletTestConfig(o: KubeletConfigOptions = {}): V1Alpha1ConfigInput {
  return {
    version: 'v1alpha1',
    machine: {
      type: 'worker',
      certSANs: [...(o.certSANs ?? [])],
      ...(o.installImage === undefined ? {} : { install: { image: o.installImage } }),
      network: {
        hostname: 'worker-1',
        nameservers: [...(o.nameservers ?? [])],
        interfaces: [
          {
            interface: 'eth0',
            addresses: [...(o.addresses ?? ['10.0.0.50/24'])],
            routes: [{ network: '0.0.0.0/0', gateway: '10.0.0.1' }],
          },
        ],
      },
      time: { servers: [...(o.timeServers ?? ['time.example.org'])] },
      kubelet: {
        extraArgs: o.extraArgs ?? {},
        extraConfig: { healthzPort: o.healthzPort ?? 1 },
        nodeIP: { validSubnets: [...(o.validSubnets ?? [])] },
      },
      nodeLabels: o.nodeLabels ?? {},
    },
    cluster: {
      controlPlane: { endpoint: 'https://10.0.0.10:6443' },
      token: o.token ?? 'abcdef.0123456789abcdef',
      etcd: { extraArgs: o.etcdArgs ?? {} },
    },
  };
}

/**
 * Settles the node on its virtual clock until the kubelet service is neither preparing nor
 * stopping: its preparation writes real files, which take real time, so the clock alone does
 * not finish it. Polls for that, as a real-file test must; no timing is asserted.
 */
async function settleWithFiles(node: Node, clock: VirtualClock): Promise<void> {
  for (let round = 0; round < 200; round++) {
    await settle(node.runtime, clock, 5, 1_000);
    const { state } = node.supervisor.status('kubelet');
    if (state !== 'Preparing' && state !== 'Stopping') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the kubelet service is still ${node.supervisor.status('kubelet').state}`);
}

/** A node on the simulated platform whose kubelet is a scripted program that records its starts. */
export interface ScriptedKubeletNode {
  readonly node: Node;
  readonly clock: VirtualClock;
  readonly dir: string;
  /** The arguments of every kubelet process started, in order. */
  readonly starts: (readonly string[])[];
  /** Lets the node's controllers, platform and services run. */
  settle(): Promise<void>;
  /** Stops the node and removes its directory. */
  close(): Promise<void>;
}

/** Boots a node with `config` whose kubelet binary is the scripted program `kubelet`. */
export async function bootScriptedKubeletNode(config: V1Alpha1ConfigInput): Promise<ScriptedKubeletNode> {
  const clock = createVirtualClock();
  const starts: (readonly string[])[] = [];
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: [{ name: 'eth0' }],
    programs: {
      kubelet: (p: ScriptedProcess) => {
        starts.push(p.spec.args);
        p.write('kubelet started');
      },
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'converge-kubelet-'));
  const node = await createNode({ config, platform, stateDir: dir, clock, kubelet: { binary: 'kubelet' } });
  await node.start();
  const run = () => settleWithFiles(node, clock);
  await run();
  return {
    node,
    clock,
    dir,
    starts,
    settle: run,
    async close() {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
