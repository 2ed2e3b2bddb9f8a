/** Helpers of the etcd tests: nodes on loopback addresses with real etcd members. */
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { generateCa, type PemKeyPair } from '../../../src/api/certificates.js';
import { wallClock } from '../../../src/index.js';
import {
  createChildProcesses,
  createNode,
  createSimulatedPlatform,
  type Node,
  type V1Alpha1ConfigInput,
} from '../../../src/node/index.js';
import { etcdInstallCommand } from '../../../src/testing/etcd-server.js';

/** Options of {@link controlPlaneConfig}. */
export interface ControlPlaneOptions {
  readonly hostname: string;
  readonly address: string;
  readonly ca: PemKeyPair;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly joinEndpoints: readonly string[];
}

/** A control plane's machine config with one loopback address on eth0. */
export function controlPlaneConfig(o: ControlPlaneOptions): V1Alpha1ConfigInput {
  return {
    version: 'v1alpha1',
    machine: {
      type: 'controlplane',
      network: {
        hostname: o.hostname,
        nameservers: ['10.0.0.1'],
        interfaces: [{ interface: 'eth0', addresses: [`${o.address}/32`] }],
      },
    },
    cluster: {
      etcd: {
        ca: { crt: o.ca.cert, key: o.ca.key },
        listenSubnets: ['127.0.0.0/8'],
        clientPort: o.clientPort,
        peerPort: o.peerPort,
        joinEndpoints: [...o.joinEndpoints],
      },
    },
  };
}

/** A node of a test cluster and where it keeps its files. */
export interface TestNode {
  readonly node: Node;
  readonly dir: string;
}

/** Fails with the install command when Debian's etcd is missing (the nodes run `etcd` from PATH). */
async function requireEtcd(): Promise<void> {
  await access('/usr/bin/etcd', constants.X_OK).catch(() => {
    throw new Error(`etcd is not installed; install it with: ${etcdInstallCommand}`);
  });
}

/** Starts a node on a simulated network with real processes, in a directory on tmpfs (etcd fsyncs). */
export async function startTestNode(config: V1Alpha1ConfigInput, name: string): Promise<TestNode> {
  await requireEtcd();
  const dir = await mkdtemp(join('/dev/shm', `converge-etcd-${name}-`));
  const platform = createSimulatedPlatform({
    clock: wallClock,
    seed: 1,
    hostname: '',
    links: [{ name: 'eth0' }],
    time: { synced: true },
    processes: createChildProcesses(),
    loopbackNodeAddresses: true,
  });
  const logger = pino(
    { level: process.env.ETCD_TEST_LOG ?? 'warn', base: { node: name } },
    pino.destination(2),
  );
  const node = await createNode({ config, platform, stateDir: dir, clock: wallClock, logger });
  await node.start();
  return { node, dir };
}

/** Stops a node (its etcd with it) and removes its files. */
export async function stopTestNode(t: TestNode): Promise<void> {
  try {
    await t.node.stop();
  } finally {
    await rm(t.dir, { recursive: true, force: true });
  }
}

/** The etcd CA all members of a test cluster share. */
export const makeCa = (): Promise<PemKeyPair> => generateCa({ commonName: 'etcd' });

/** Polls `probe` until it returns a value (not `undefined`), or throws after `timeoutMs` with the last error. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
