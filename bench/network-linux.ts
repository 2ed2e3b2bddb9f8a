/**
 * The Linux figure of `npm run bench -- network`: a config edit until `ip -n NS -json` shows it, on
 * a node whose platform is a network namespace the bench makes (and removes), against the plain
 * baseline of the same change made with `ip` directly, in interleaved pairs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNode } from '../src/node/create-node.js';
import { createLinuxPlatform } from '../src/node/index.js';
import { type BenchRow, pairedCostRow, pairedMeasures } from './harness.js';

const run = promisify(execFile);

interface IpAddr {
  addr_info: { local: string; prefixlen: number; family: string }[];
}

/** A namespace of its own; fails with the reason and the install command when it cannot be made. */
async function createNetns(): Promise<{
  name: string;
  ip(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}> {
  const name = `cvg-bench-${process.pid}`;
  try {
    await run('ip', ['netns', 'add', name]);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `cannot create network namespace ${name}: ${(e.stderr ?? e.message).trim()}. ` +
        'The Linux figure needs root and iproute2: apt-get install -y iproute2',
    );
  }
  return {
    name,
    ip: async (...args) => (await run('ip', ['-n', name, ...args])).stdout,
    remove: async () => {
      await run('ip', ['netns', 'del', name]);
    },
  };
}

const config = (address: string) =>
  `version: v1alpha1\nmachine:\n  type: worker\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [${address}]\n`;

/** Polls `ip -json addr` (no sleep: each `ip` run is the wait) until `done` holds; ms since `start`. */
async function until(
  ip: (...args: string[]) => Promise<string>,
  start: number,
  done: (held: string[]) => boolean,
): Promise<number> {
  for (let i = 0; i < 2_000; i++) {
    const links = JSON.parse(await ip('-json', 'addr', 'show', 'dev', 'eth0')) as IpAddr[];
    const held = links.flatMap((l) => l.addr_info).map((a) => `${a.local}/${a.prefixlen}`);
    if (done(held)) return performance.now() - start;
  }
  throw new Error('the kernel never showed the change');
}

/** Config edit → `ip -json` shows the new address, `trials` times, paired with `ip addr add` → `ip -json`. */
export async function linuxConfigEdit(trials: number): Promise<BenchRow[]> {
  const ns = await createNetns();
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-linux-'));
  let node: Awaited<ReturnType<typeof createNode>> | undefined;
  try {
    await ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-p');
    await ns.ip('link', 'set', 'eth0-p', 'up');
    await ns.ip('link', 'add', 'base0', 'type', 'veth', 'peer', 'name', 'base0-p');
    await ns.ip('link', 'set', 'base0-p', 'up');
    await ns.ip('link', 'set', 'base0', 'up');
    const platform = createLinuxPlatform({ netns: ns.name, stateDir: dir, physicalLinks: ['eth0'] });
    node = await createNode({ config: config('10.90.0.1/24'), platform, stateDir: dir });
    await node.start();
    await until(ns.ip, performance.now(), (held) => held.includes('10.90.0.1/24'));
    let n = 1;
    const edits: number[] = [];
    const timing = await pairedMeasures(
      trials,
      async () => {
        const address = `10.90.${++n}.1/24`;
        const start = performance.now();
        await node!.applyConfig(config(address));
        const ms = await until(ns.ip, start, (held) => held.includes(address));
        edits.push(ms);
        return ms;
      },
      async () => {
        // The baseline: the same kernel change made directly, until `ip -json` shows it.
        const address = `10.91.${n}.1/24`;
        const start = performance.now();
        await ns.ip('addr', 'add', address, 'dev', 'base0');
        const ms = await until(
          (...args) => ns.ip(...args.map((a) => (a === 'eth0' ? 'base0' : a))),
          start,
          (held) => held.includes(address),
        );
        await ns.ip('addr', 'del', address, 'dev', 'base0');
        return ms;
      },
    );
    return [
      pairedCostRow('Linux: config edit until ip -n NS -json shows it', timing, 50),
      { figure: 'Linux: config edit, slowest of the trials', value: Math.max(...edits), unit: 'ms' },
    ];
  } finally {
    await node?.stop();
    await ns.remove();
    await rm(dir, { recursive: true, force: true });
  }
}
