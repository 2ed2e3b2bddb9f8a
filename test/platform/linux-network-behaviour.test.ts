import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinuxPlatform } from '../../src/platform/linux/create-linux-platform.js';
import { createTestNetns } from './helpers/netns.js';
import { describeNetworkBehaviour } from './helpers/network-behaviour.js';

describeNetworkBehaviour('linux (iproute2 in a test namespace)', async () => {
  const ns = await createTestNetns();
  const stateDir = await mkdtemp(join(tmpdir(), 'cvg-platform-'));
  const platform = createLinuxPlatform({ netns: ns.name, stateDir, physicalLinks: ['eth0'] });
  return {
    network: platform.network,
    async addCabledLink(name) {
      // A veth pair whose far end is up: the near end gets a carrier when it goes up, like a plugged NIC.
      await ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}-p`);
      await ns.ip('link', 'set', `${name}-p`, 'up');
    },
    settle: () => new Promise((resolve) => setTimeout(resolve, 10)),
    async close() {
      try {
        await platform.close();
      } finally {
        await ns.remove();
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
});
