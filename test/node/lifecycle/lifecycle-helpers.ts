import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  createNode,
  createSimulatedPlatform,
  type Node,
  type NodeOptions,
  type SimulatedPlatform,
} from '../../../src/node/index.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/index.js';

/** A worker with a static address and a default route: it becomes ready without DHCP. */
export const workerConfig = (address = '10.0.0.50/24') => `version: v1alpha1
machine:
  type: worker
  network:
    hostname: node-1
    interfaces:
      - interface: eth0
        addresses: [${address}]
        routes:
          - network: 0.0.0.0/0
            gateway: 10.0.0.1
`;

/** A node on the simulated platform with a virtual clock, in a temp dir the test removes. */
export interface TestNode {
  readonly node: Node;
  readonly clock: VirtualClock;
  readonly dir: string;
  readonly platform: SimulatedPlatform;
  /** The node's disk calls in flight. */
  readonly diskBusy: () => number;
}

/** Counts the node's disk calls in flight, so virtual time only moves while the node waits on it. */
function trackDisk(node: Node): () => number {
  let busy = 0;
  const disk = node.disk as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['read', 'write', 'remove', 'list', 'wipe']) {
    const call = disk[method]!.bind(disk);
    disk[method] = (...args) => {
      busy++;
      return call(...args).finally(() => busy--);
    };
  }
  return () => busy;
}

/** Makes a node on `dir` (a fresh temp dir by default); the caller starts it. */
export async function makeNode(
  options: Partial<NodeOptions> = {},
  existing?: { dir: string; clock: VirtualClock },
): Promise<TestNode> {
  const clock = existing?.clock ?? createVirtualClock();
  const dir = existing?.dir ?? (await mkdtemp(join(tmpdir(), 'cvg-lifecycle-')));
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: [{ name: 'eth0', dhcp: { subnet: '10.0.0.0/24', router: '10.0.0.1' } }],
  });
  const node = await createNode({
    platform,
    stateDir: dir,
    clock,
    bootTimeoutMs: 120_000,
    // Reverts log their fatal errors by design; the tests assert on events instead.
    logger: pino({ level: 'silent' }),
    ...options,
  });
  return { node, clock, dir, platform, diskBusy: trackDisk(node) };
}

/** Lets the node run (runtime, disk, clock) until `done()` holds; fails after `rounds`. */
async function runUntil(t: TestNode, done: () => boolean, what: string, seconds = 600): Promise<void> {
  const deadline = t.clock.now() + seconds * 1_000;
  while (t.clock.now() < deadline) {
    if (done()) return;
    await t.node.runtime.settled();
    await new Promise((resolve) => setImmediate(resolve));
    if (t.diskBusy() > 0) {
      // Disk writes are real: time waits for them rather than running ahead (and firing timeouts).
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    await t.clock.advance(1_000);
  }
  if (!done()) throw new Error(`not done after ${seconds} virtual seconds: ${what}`);
}

/** Follows a promise so a test can run the clock until it settles. */
function follow<T>(promise: Promise<T>): { done: () => boolean; result: () => Promise<T> } {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  tracked.catch(() => {});
  return { done: () => settled, result: () => tracked };
}

/** Runs the node until `promise` settles and returns its outcome. */
export async function settleOn<T>(t: TestNode, promise: Promise<T>, what: string): Promise<T> {
  const f = follow(promise);
  await runUntil(t, f.done, what);
  await t.node.runtime.settled();
  return f.result();
}

/** The global addresses the simulated kernel holds. */
export async function kernelAddresses(t: TestNode): Promise<string[]> {
  return (await t.platform.network.addresses())
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.linkName} ${a.address}`)
    .sort();
}

/** Stops the node and removes its dir. */
export async function cleanup(t: TestNode | undefined): Promise<void> {
  if (t === undefined) return;
  await t.node.stop();
  await rm(t.dir, { recursive: true, force: true });
}
