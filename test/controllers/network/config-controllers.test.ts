import { afterEach, describe, expect, it } from 'vitest';
import { parseCmdlineNetwork } from '../../../src/resources/config/cmdline.js';
import { activeMachineConfigId, MachineConfigs } from '../../../src/resources/config/machine-config.js';
import {
  AddressSpecs,
  HostnameSpecs,
  LinkSpecs,
  LinkStatuses,
  NodeAddresses,
  OperatorSpecs,
  PlatformConfigs,
  ResolverSpecs,
  RouteSpecs,
  TimeServerSpecs,
} from '../../../src/resources/network/index.js';
import {
  applyConfig,
  configControllers,
  ids,
  mergeControllers,
  type NetHarness,
  observeLink,
  specs,
  startHarness,
} from './helpers.js';

let h: NetHarness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

async function boot(cmdline = ''): Promise<NetHarness> {
  h = await startHarness([
    ...configControllers({ cmdline: parseCmdlineNetwork(cmdline) }),
    ...mergeControllers(),
  ]);
  for (const link of ['lo', 'eth0', 'eth1']) await observeLink(h.state, link);
  await h.runtime.settled();
  return h;
}

const staticConfig = `version: v1alpha1
machine:
  type: controlplane
  network:
    hostname: cp-1.example.org
    nameservers: [10.0.0.1]
    interfaces:
      - interface: eth0
        addresses: [10.0.0.11/24]
        routes:
          - network: 0.0.0.0/0
            gateway: 10.0.0.1
        mtu: 9000
        vip: { ip: 10.0.0.10 }
        vlans:
          - vlanId: 100
            dhcp: true
  time:
    servers: [time.example.org]
`;

describe('network config controllers', () => {
  it('should write the default layer: lo, physical links up, DHCP on each, resolvers, NTP', async () => {
    const { state } = await boot();
    expect(await ids(state, LinkSpecs, 'network-config')).toEqual([
      'default/eth0',
      'default/eth1',
      'default/lo',
    ]);
    expect(await specs(state, AddressSpecs, 'network-config')).toEqual({
      'default/lo/127.0.0.1/8': expect.objectContaining({
        address: '127.0.0.1/8',
        family: 'inet4',
        scope: 'host',
      }),
      'default/lo/::1/128': expect.objectContaining({ address: '::1/128', family: 'inet6', scope: 'host' }),
    });
    expect(await specs(state, OperatorSpecs, 'network-config')).toEqual({
      'default/dhcp4/eth0': expect.objectContaining({
        operator: 'dhcp4',
        linkName: 'eth0',
        requireUp: true,
        dhcp4: expect.objectContaining({ routeMetric: 1024 }),
      }),
      'default/dhcp4/eth1': expect.objectContaining({ operator: 'dhcp4', linkName: 'eth1' }),
    });
    expect(await specs(state, ResolverSpecs, 'network')).toEqual({
      resolvers: { dnsServers: ['1.1.1.1', '8.8.8.8'], searchDomains: [], layer: 'default' },
    });
    expect(await specs(state, TimeServerSpecs, 'network')).toEqual({
      timeservers: { timeServers: ['time.cloudflare.com'], useNTS: false, layer: 'default' },
    });
    expect(await specs(state, LinkSpecs, 'network')).toMatchObject({
      lo: { name: 'lo', up: true, type: 'loopback' },
      eth0: { name: 'eth0', up: true, layer: 'default' },
    });
    expect(await ids(state, HostnameSpecs, 'network')).toEqual([]);
  });

  it('should name the node after its default address', async () => {
    const { state, runtime } = await boot();
    await state.create(NodeAddresses.make('default', { addresses: ['10.0.0.50/24'] }));
    await runtime.settled();
    expect(await specs(state, HostnameSpecs, 'network')).toEqual({
      hostname: { hostname: 'talos-10-0-0-50', domainname: '', layer: 'default' },
    });
  });

  it('should write the configuration layer and move DHCP off the configured link', async () => {
    const { state, runtime } = await boot();
    await applyConfig(state, staticConfig);
    await runtime.settled();
    expect(await ids(state, OperatorSpecs, 'network-config')).toEqual([
      'configuration/dhcp4/eth0.100',
      'configuration/vip/eth0/10.0.0.10',
      'default/dhcp4/eth1',
    ]);
    expect(await ids(state, AddressSpecs, 'network')).toEqual([
      'eth0/10.0.0.11/24',
      'lo/127.0.0.1/8',
      'lo/::1/128',
    ]);
    expect(await specs(state, RouteSpecs, 'network')).toEqual({
      'inet4/10.0.0.1//1024': expect.objectContaining({
        dst: '',
        gateway: '10.0.0.1',
        outLinkName: 'eth0',
        priority: 1024,
        layer: 'configuration',
      }),
    });
    const links = await specs(state, LinkSpecs, 'network');
    expect(links.eth0).toMatchObject({ up: true, mtu: 9000, layer: 'configuration' });
    expect(links['eth0.100']).toMatchObject({
      logical: true,
      kind: 'vlan',
      parentName: 'eth0',
      vlan: { vid: 100 },
    });
    expect(await specs(state, HostnameSpecs, 'network')).toEqual({
      hostname: { hostname: 'cp-1', domainname: 'example.org', layer: 'configuration' },
    });
    expect((await specs(state, ResolverSpecs, 'network')).resolvers).toMatchObject({
      dnsServers: ['10.0.0.1'],
    });
    expect((await specs(state, TimeServerSpecs, 'network')).timeservers).toMatchObject({
      timeServers: ['time.example.org'],
    });

    // The config goes: its layer goes with it, the default DHCP comes back.
    await state.teardownAndDestroy(MachineConfigs.pointer(activeMachineConfigId));
    await runtime.settled();
    expect(await ids(state, OperatorSpecs, 'network-config')).toEqual([
      'default/dhcp4/eth0',
      'default/dhcp4/eth1',
    ]);
    expect(await ids(state, AddressSpecs, 'network')).toEqual(['lo/127.0.0.1/8', 'lo/::1/128']);
    expect(await ids(state, RouteSpecs, 'network')).toEqual([]);
    expect((await specs(state, LinkSpecs, 'network')).eth0).toMatchObject({ mtu: 0, layer: 'default' });
  });

  it('should write the cmdline layer, resolving ip= without a device to the first physical link', async () => {
    const { state } = await boot(
      'ip=10.0.0.5::10.0.0.1:255.255.255.0:node-c::off:10.0.0.53 talos.hostname=node-c.lab',
    );
    expect(await ids(state, AddressSpecs, 'network-config')).toContain('cmdline/eth0/10.0.0.5/24');
    expect(await ids(state, RouteSpecs, 'network-config')).toEqual(['cmdline/inet4/10.0.0.1//1024']);
    expect(await ids(state, OperatorSpecs, 'network-config')).toEqual(['default/dhcp4/eth1']);
    expect(await specs(state, HostnameSpecs, 'network')).toEqual({
      hostname: { hostname: 'node-c', domainname: 'lab', layer: 'cmdline' },
    });
    expect((await specs(state, ResolverSpecs, 'network')).resolvers).toMatchObject({
      dnsServers: ['10.0.0.53'],
      layer: 'cmdline',
    });
  });

  it('should write the platform layer from the platform config', async () => {
    const { state, runtime } = await boot();
    await state.create(
      PlatformConfigs.make('active', {
        hostname: 'vm-1',
        addresses: [{ linkName: 'eth1', address: '192.168.1.5/24' }],
        routes: [{ gateway: '192.168.1.1', linkName: 'eth1' }],
        resolvers: ['fd00::53'],
        timeServers: ['ntp.cloud'],
      }),
    );
    await runtime.settled();
    expect(await ids(state, AddressSpecs, 'network-config')).toContain('platform/eth1/192.168.1.5/24');
    expect(await ids(state, RouteSpecs, 'network-config')).toEqual(['platform/inet4/192.168.1.1//1024']);
    // eth1 is the platform's now: no default DHCP on it.
    expect(await ids(state, OperatorSpecs, 'network-config')).toEqual(['default/dhcp4/eth0']);
    // An IPv6-only platform resolver keeps the default IPv4 ones.
    expect((await specs(state, ResolverSpecs, 'network')).resolvers).toMatchObject({
      dnsServers: ['1.1.1.1', '8.8.8.8', 'fd00::53'],
      layer: 'platform',
    });
    expect((await specs(state, HostnameSpecs, 'network')).hostname).toMatchObject({
      hostname: 'vm-1',
      layer: 'platform',
    });
  });

  it('should resolve a device selector to the link with that hardware address', async () => {
    const { state, runtime } = await boot();
    await state.create(
      LinkStatuses.make('eth2', {
        type: 'ether',
        hardwareAddr: 'aa:bb:cc:00:00:02',
      }),
    );
    await applyConfig(
      state,
      'version: v1alpha1\nmachine:\n  type: worker\n  network:\n    interfaces:\n      - deviceSelector: { hardwareAddr: "AA:BB:CC:00:00:02" }\n        addresses: [10.9.0.2/24]\n',
    );
    await runtime.settled();
    expect(await ids(state, AddressSpecs, 'network')).toContain('eth2/10.9.0.2/24');
  });
});
