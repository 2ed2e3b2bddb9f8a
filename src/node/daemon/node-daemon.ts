/**
 * `converge node run`: one node as a process (machined). It boots the node from its machine config,
 * serves the resource API and the node API on the node's own address with mutual TLS, reboots it in
 * place when asked, and stops it cleanly (services first) on shutdown or a signal.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { stringify as toYaml } from 'yaml';
import type { ApiServer } from '../../api/server.js';
import { createLinuxPlatform } from '../../platform/linux/create-linux-platform.js';
import type { Platform } from '../../platform/platform.js';
import { createChildProcesses } from '../../platform/processes/child-processes.js';
import { createSimulatedPlatform } from '../../platform/simulated/create-simulated-platform.js';
import { parseMachineConfig } from '../../resources/config/load-config.js';
import { MachineConfigs, persistentMachineConfigId } from '../../resources/config/machine-config.js';
import { type Clock, wallClock } from '../../runtime/clock.js';
import { isNotFoundError } from '../../runtime/errors.js';
import { createNodeApiServer } from '../api/node-api.js';
import { createNode, type Node } from '../create-node.js';
import { loadNodePki, type NodePki } from './node-pki.js';

/** The default port of the node API (Talos' apid listens on 50000). */
export const defaultNodePort = 50_000;

/** Options of {@link startNodeDaemon}. */
export interface NodeDaemonOptions {
  /** The machine config file (v1alpha1 YAML). */
  readonly configPath: string;
  /** The node's state directory (disk partitions, certificates). */
  readonly stateDir: string;
  /** The node's own address: the API listens there. */
  readonly address: string;
  /** The API port (0: chosen at run time). */
  readonly port: number;
  readonly platform: 'simulated' | 'linux';
  /** The network namespace of the Linux platform. */
  readonly netns?: string;
  /** A directory with the cluster CA (`ca.crt`, `ca.key`); default a CA of the node's own. */
  readonly caDir?: string;
  /** The seed of the simulated platform. */
  readonly seed?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** A running node daemon. */
export interface NodeDaemon {
  /** The API's URL (it stays the same across reboots). */
  readonly url: string;
  /** The node as it runs now (a reboot replaces it). */
  node(): Node;
  /** The certificates it serves with. */
  readonly pki: NodePki;
  /** Resolves when the daemon has stopped, with why. */
  readonly stopped: Promise<'shutdown' | 'stop'>;
  /** Stops the API and the node (services first). */
  stop(): Promise<void>;
}

function makePlatform(options: NodeDaemonOptions, clock: Clock): Platform {
  if (options.platform === 'linux') {
    if (options.netns === undefined) throw new Error('the linux platform needs --netns');
    return createLinuxPlatform({
      netns: options.netns,
      stateDir: options.stateDir,
      clock,
      logger: options.logger.child({ component: 'platform' }),
    });
  }
  // A simulated network and machine, with real processes for services (etcd, the kubelet).
  return createSimulatedPlatform({
    clock,
    seed: options.seed ?? 1,
    links: [{ name: 'eth0', dhcp: true }],
    processes: createChildProcesses(),
  });
}

/** The persistent config of a node, as YAML for the next boot (the one it was started with when none). */
async function persistentConfig(node: Node, fallback: string): Promise<string> {
  try {
    return toYaml((await node.state.get(MachineConfigs.pointer(persistentMachineConfigId))).spec);
  } catch (error) {
    if (isNotFoundError(error)) return fallback;
    throw error;
  }
}

/** Starts a node daemon; resolves once the API listens. */
export async function startNodeDaemon(options: NodeDaemonOptions): Promise<NodeDaemon> {
  const clock = options.clock ?? wallClock;
  const logger = options.logger;
  let config = await readFile(resolve(options.configPath), 'utf8');
  parseMachineConfig(config, options.configPath);
  const pki = await loadNodePki({
    dir: join(options.stateDir, 'pki'),
    hosts: [options.address],
    ...(options.caDir !== undefined ? { caDir: options.caDir } : {}),
  });
  let current: Node | undefined;
  let server: ApiServer | undefined;
  let port = options.port;
  let url = '';
  let finish!: (why: 'shutdown' | 'stop') => void;
  const stopped = new Promise<'shutdown' | 'stop'>((r) => {
    finish = r;
  });
  // One power operation at a time: a reboot or stop waits for the one before it.
  let busy: Promise<void> = Promise.resolve();
  let ended = false;

  const halt = async () => {
    const [s, n] = [server, current];
    server = undefined;
    if (s !== undefined) await s.close();
    if (n !== undefined) {
      config = await persistentConfig(n, config);
      await n.stop();
    }
  };
  const boot = async () => {
    const node = await createNode({
      config,
      platform: makePlatform(options, clock),
      stateDir: options.stateDir,
      clock,
      logger: logger.child({ component: 'node' }),
    });
    current = node;
    await node.start();
    const api = createNodeApiServer({
      host: {
        node: () => node,
        address: options.address,
        bootId: randomUUID(),
        shutdown: () => void power('shutdown'),
        reboot: () => void power('reboot'),
      },
      tls: pki.tls,
      address: options.address,
      port,
      logger: logger.child({ component: 'api' }),
      clock,
    });
    url = await api.listen();
    port = api.port;
    server = api;
    logger.info({ url, address: options.address }, 'node API listening');
  };
  const power = (action: 'reboot' | 'shutdown' | 'stop'): Promise<void> => {
    busy = busy.then(async () => {
      if (ended) return;
      logger.info({ action }, 'node power operation');
      await halt();
      if (action === 'reboot') {
        await boot();
      } else {
        ended = true;
        finish(action === 'shutdown' ? 'shutdown' : 'stop');
      }
    });
    return busy;
  };

  try {
    await boot();
  } catch (error) {
    await halt().catch((e: unknown) => logger.error({ err: e }, 'stopping after a failed boot failed'));
    throw error;
  }
  return {
    get url() {
      return url;
    },
    node: () => {
      if (current === undefined) throw new Error('the node is not running');
      return current;
    },
    pki,
    stopped,
    stop: () => power('stop'),
  };
}
