import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressSpecs,
  createNode,
  createSimulatedPlatform,
  HostnameStatuses,
  isConfigError,
  LinkStatuses,
  MachineConfigs,
  NetworkStatuses,
  type Node,
  NodeAddresses,
  OperatorSpecs,
  type SimulatedPlatform,
} from '../../src/node/index.js';
import { createVirtualClock, type VirtualClock } from '../../src/testing/index.js';
import { settle } from './helpers.js';

let node: Node | undefined;
let dir: string | undefined;
afterEach(async () => {
  await node?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  node = undefined;
  dir = undefined;
});

async function boot(
  config?: string,
): Promise<{ node: Node; platform: SimulatedPlatform; clock: VirtualClock }> {
  const clock = createVirtualClock();
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: [{ name: 'eth0', dhcp: { subnet: '10.0.0.0/24', router: '10.0.0.1' } }],
  });
  dir = await mkdtemp(join(tmpdir(), 'converge-node-'));
  node = await createNode({ ...(config === undefined ? {} : { config }), platform, stateDir: dir, clock });
  await node.start();
  await settle(node.runtime, clock);
  return { node, platform, clock };
}

const kernelAddresses = async (platform: SimulatedPlatform) =>
  (await platform.network.addresses())
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.linkName} ${a.address}`)
    .sort();
const defaultRoutes = async (platform: SimulatedPlatform) =>
  (await platform.network.routes())
    .filter((r) => r.destination === '')
    .map((r) => `${r.gateway} ${r.outLinkName}`);

const staticConfig = (extra = '') => `version: v1alpha1
machine:
  type: worker
  network:
    interfaces:
      - interface: eth0
        addresses: [10.0.0.50/24${extra === '' ? '' : `, ${extra}`}]
        routes:
          - network: 0.0.0.0/0
            gateway: 10.0.0.1
`;

describe('node scenarios on the simulated platform', () => {
  it('should boot without config: lo and links up, DHCP on eth0, hostname from the address, network ready', async () => {
    const { node, platform } = await boot();
    expect((await node.state.get(LinkStatuses.pointer('lo'))).spec.flags).toContain('UP');
    expect((await node.state.get(LinkStatuses.pointer('eth0'))).spec.operationalState).toBe('up');
    expect(platform.dhcp.clients()).toEqual(['eth0']);
    const lease = platform.dhcp.lease('eth0');
    expect(lease).toBeDefined();
    expect(await kernelAddresses(platform)).toEqual([`eth0 ${lease?.address}`]);
    expect(await defaultRoutes(platform)).toEqual(['10.0.0.1 eth0']);
    const ip = (lease?.address ?? '').split('/')[0] ?? '';
    const hostname = `talos-${ip.replaceAll('.', '-')}`;
    expect((await platform.network.hostname()).hostname).toBe(hostname);
    expect((await node.state.get(HostnameStatuses.pointer('hostname'))).spec.hostname).toBe(hostname);
    expect((await node.state.get(NodeAddresses.pointer('default'))).spec.addresses).toEqual([lease?.address]);
    expect((await node.state.get(NetworkStatuses.pointer('status'))).spec).toEqual({
      addressReady: true,
      connectivityReady: true,
      hostnameReady: true,
      etcFilesReady: true,
    });
  });

  it('should replace DHCP with a static config, tearing the DHCP specs down through finalizers', async () => {
    const { node, platform, clock } = await boot();
    const leased = platform.dhcp.lease('eth0')?.address;
    await node.applyConfig(staticConfig());
    await settle(node.runtime, clock);
    expect(platform.dhcp.clients()).toEqual([]);
    expect(await node.state.list(OperatorSpecs.kind())).toEqual([]);
    const specs = await node.state.list(AddressSpecs.kind());
    expect(specs.map((s) => s.metadata.id).filter((id) => id.startsWith('eth0/'))).toEqual([
      'eth0/10.0.0.50/24',
    ]);
    expect(await kernelAddresses(platform)).toEqual(['eth0 10.0.0.50/24']);
    expect(await kernelAddresses(platform)).not.toContain(`eth0 ${leased}`);
    expect(await defaultRoutes(platform)).toEqual(['10.0.0.1 eth0']);
    expect((await node.state.get(NodeAddresses.pointer('current'))).spec.addresses).toEqual(['10.0.0.50/24']);
    expect((await node.state.get(NetworkStatuses.pointer('status'))).spec.addressReady).toBe(true);
  });

  it('should apply a live change that adds an address and a route, keeping the default address', async () => {
    const { node, platform, clock } = await boot(staticConfig());
    expect((await node.state.get(NodeAddresses.pointer('default'))).spec.addresses).toEqual(['10.0.0.50/24']);
    await node.applyConfig(
      `${staticConfig('10.0.0.40/24')}          - network: 192.168.0.0/16\n            gateway: 10.0.0.1\n`,
    );
    await settle(node.runtime, clock);
    expect(await kernelAddresses(platform)).toEqual(['eth0 10.0.0.40/24', 'eth0 10.0.0.50/24']);
    const routes = await platform.network.routes();
    expect(routes.some((r) => r.destination === '192.168.0.0/16' && r.gateway === '10.0.0.1')).toBe(true);
    expect((await node.state.get(NodeAddresses.pointer('current'))).spec.addresses).toEqual([
      '10.0.0.40/24',
      '10.0.0.50/24',
    ]);
    // The default address is sticky: a lower second address does not take its place.
    expect((await node.state.get(NodeAddresses.pointer('default'))).spec.addresses).toEqual(['10.0.0.50/24']);
  });

  it('should refuse a bad config with the line of the mistake and change nothing', async () => {
    const { node, platform, clock } = await boot(staticConfig());
    const before = await node.state.get(MachineConfigs.pointer('v1alpha1', 'config'));
    const kernel = await kernelAddresses(platform);
    const bad = staticConfig().replace('addresses:', 'adresses:');
    const error = await node.applyConfig(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConfigError(error)).toBe(true);
    expect(String((error as Error).message)).toContain(
      'machine.network.interfaces[0].adresses (line 7, column 9)',
    );
    await settle(node.runtime, clock);
    expect((await node.state.get(MachineConfigs.pointer('v1alpha1', 'config'))).metadata.version).toBe(
      before.metadata.version,
    );
    expect(await kernelAddresses(platform)).toEqual(kernel);
  });
});
