/**
 * `converge node run`: one node as a process (machined). It boots the node from its machine config,
 * serves the resource API and the node API on the node's own address with mutual TLS (the API stays
 * up while the node reboots in place), and stops it cleanly (services first) on shutdown or a signal.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ApiServer } from '../../api/server.js';
import { createLinuxPlatform } from '../../platform/linux/create-linux-platform.js';
import type { Platform } from '../../platform/platform.js';
import { createChildProcesses } from '../../platform/processes/child-processes.js';
import { createSimulatedPlatform } from '../../platform/simulated/create-simulated-platform.js';
import { parseMachineConfig } from '../../resources/config/load-config.js';
import { type Clock, wallClock } from '../../runtime/clock.js';
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
  /** The API's URL (it stays up across reboots). */
  readonly url: string;
  /** The node (a reboot in place keeps the object: its state and runtime are the current boot's). */
  readonly node: Node;
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
    // Local clusters give every node its own 127.0.0.x: those are its node addresses.
    loopbackNodeAddresses: true,
  });
}

/** Starts a node daemon; resolves once the API listens. */
export async function startNodeDaemon(options: NodeDaemonOptions): Promise<NodeDaemon> {
  const clock = options.clock ?? wallClock;
  const logger = options.logger;
  const config = await readFile(resolve(options.configPath), 'utf8');
  parseMachineConfig(config, options.configPath);
  const pki = await loadNodePki({
    dir: join(options.stateDir, 'pki'),
    hosts: [options.address],
    ...(options.caDir !== undefined ? { caDir: options.caDir } : {}),
  });
  // The config installs a fresh disk; once installed, the node boots from its STATE partition.
  const node = await createNode({
    config,
    platform: makePlatform(options, clock),
    stateDir: options.stateDir,
    clock,
    logger: logger.child({ component: 'node' }),
  });
  let finish!: (why: 'shutdown' | 'stop') => void;
  const stopped = new Promise<'shutdown' | 'stop'>((r) => {
    finish = r;
  });
  let ended = false;
  let server: ApiServer | undefined;
  const end = async (why: 'shutdown' | 'stop') => {
    if (ended) return;
    ended = true;
    logger.info({ why }, 'stopping the node');
    try {
      await server?.close();
    } finally {
      await node.stop();
      finish(why);
    }
  };
  try {
    await node.start();
    server = createNodeApiServer({
      host: {
        node: () => node,
        address: options.address,
        shutdown: () => void end('shutdown'),
        reboot: () => {
          node.reboot().catch((error: unknown) => logger.error({ err: error }, 'reboot failed'));
        },
        reset: (graceful) => {
          node.reset({ graceful }).catch((error: unknown) => logger.error({ err: error }, 'reset failed'));
        },
      },
      tls: pki.tls,
      address: options.address,
      port: options.port,
      logger: logger.child({ component: 'api' }),
      clock,
    });
    const url = await server.listen();
    logger.info({ url, address: options.address }, 'node API listening');
    return { url, node, pki, stopped, stop: () => end('stop') };
  } catch (error) {
    await end('stop').catch((e: unknown) => logger.error({ err: e }, 'stopping after a failed start failed'));
    throw error;
  }
}
