import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AddressStatuses, createLinuxPlatform, createNode, type Node } from '../../src/node/index.js';
import { createTestNetns, type TestNetns } from '../platform/helpers/netns.js';

interface IpAddr {
  ifname: string;
  addr_info: { local: string; prefixlen: number; family: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

const config = (addresses: string[], routes: string) => `version: v1alpha1
machine:
  type: worker
  network:
    interfaces:
      - interface: eth0
        addresses: [${addresses.join(', ')}]
${routes}`;
const withRoute = '        routes:\n          - network: 10.78.0.0/16\n            gateway: 10.77.0.1\n';

async function addresses(ns: TestNetns): Promise<string[]> {
  const links = await ns.json<IpAddr[]>('addr', 'show', 'dev', 'eth0');
  return links
    .flatMap((l) => l.addr_info)
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

async function routes(ns: TestNetns): Promise<string[]> {
  return (await ns.json<IpRoute[]>('route', 'show')).map((r) => `${r.dst} ${r.gateway ?? ''}`.trim()).sort();
}

/**
 * Waits until the kernel shows what `check` wants: the node works through `ip monitor` events,
 * which arrive on their own time, so this polls the condition (never a fixed sleep as a race window).
 */
async function eventually(node: Node, what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await node.runtime.settled();
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the kernel never showed ${what}`);
}

describe('a node on the Linux platform, in a network namespace the test makes', () => {
  it('should apply, remove and re-apply addresses and routes, and keep a foreign address', async () => {
    const ns = await createTestNetns();
    const dir = await mkdtemp(join(tmpdir(), 'converge-linux-node-'));
    let node: Node | undefined;
    try {
      await ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-p');
      await ns.ip('link', 'set', 'eth0-p', 'up');
      const platform = createLinuxPlatform({ netns: ns.name, stateDir: dir, physicalLinks: ['eth0'] });
      node = await createNode({
        config: config(['10.77.0.5/24', '10.77.0.6/24'], withRoute),
        platform,
        stateDir: dir,
      });
      await node.start();
      const n = node;
      await eventually(n, 'the configured addresses', async () => {
        const held = await addresses(ns);
        return held.includes('10.77.0.5/24') && held.includes('10.77.0.6/24');
      });
      await eventually(n, 'the configured route', async () =>
        (await routes(ns)).includes('10.78.0.0/16 10.77.0.1'),
      );

      await n.applyConfig(config(['10.77.0.5/24'], ''));
      await eventually(n, 'the address and route removed', async () => {
        const held = await addresses(ns);
        return !held.includes('10.77.0.6/24') && !(await routes(ns)).includes('10.78.0.0/16 10.77.0.1');
      });
      expect(await addresses(ns)).toEqual(['10.77.0.5/24']);

      await ns.ip('addr', 'add', '10.99.0.1/24', 'dev', 'eth0');
      await ns.ip('addr', 'del', '10.77.0.5/24', 'dev', 'eth0');
      await eventually(n, 'the deleted address re-applied', async () =>
        (await addresses(ns)).includes('10.77.0.5/24'),
      );
      await eventually(n, 'the foreign address observed', async () =>
        (await n.state.list(AddressStatuses.kind())).some((a) => a.spec.address === '10.99.0.1/24'),
      );
      expect(await addresses(ns)).toEqual(['10.77.0.5/24', '10.99.0.1/24']);
    } finally {
      await node?.stop();
      await ns.remove();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
