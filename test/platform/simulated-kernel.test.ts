import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/platform/network.js';
import {
  createSimulatedPlatform,
  type SimulatedPlatform,
} from '../../src/platform/simulated/create-simulated-platform.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { codeOf } from './helpers/network-behaviour.js';

describe('simulated kernel', () => {
  let platform: SimulatedPlatform;
  afterEach(() => platform.close());
  const make = (seed = 1) => {
    platform = createSimulatedPlatform({
      clock: createVirtualClock(),
      seed,
      links: [{ name: 'eth0' }, { name: 'eth1' }],
    });
    return platform.network;
  };
  const link = async (name: string) => (await platform.network.links()).find((l) => l.name === name)!;

  it('boots with lo and the physical links, all down, indexes in order, MACs from the seed', async () => {
    const net = make(3);
    expect((await net.links()).map((l) => [l.name, l.index, l.up, l.physical])).toEqual([
      ['lo', 1, false, false],
      ['eth0', 2, false, true],
      ['eth1', 3, false, true],
    ]);
    expect(await net.addresses()).toEqual([]);
    const macs = (await net.links()).map((l) => l.hardwareAddr);
    await platform.close();
    const again = make(3);
    expect((await again.links()).map((l) => l.hardwareAddr)).toEqual(macs);
  });

  it('carrier loss keeps addresses and routes but the link goes operationally down; restore brings it back', async () => {
    const net = make();
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
    await net.addRoute({ family: 'inet4', destination: '', gateway: '10.1.0.1' });
    const seen: NetworkChange[] = [];
    const sub = net.changes().subscribe((c) => seen.push(c));
    platform.faults.setCarrier('eth0', false);
    expect(await link('eth0')).toMatchObject({ up: true, carrier: false, operationalState: 'down' });
    expect(seen).toEqual([
      { kind: 'link', linkName: 'eth0' },
      { kind: 'route', linkName: 'eth0' },
    ]);
    expect((await net.routes()).map((r) => r.destination)).toEqual(['', '10.1.0.0/24', 'fe80::/64']);
    platform.faults.setCarrier('eth0', true);
    expect(await link('eth0')).toMatchObject({ carrier: true, operationalState: 'up' });
    sub.unsubscribe();
    expect(() => platform.faults.setCarrier('nope', true)).toThrow(/cannot find device/);
  });

  it('an address removed behind the node’s back takes its routes and is reported', async () => {
    const net = make();
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
    await net.addAddress({ linkName: 'eth0', address: '10.2.0.5/24' });
    await net.addRoute({
      family: 'inet4',
      destination: '10.9.0.0/16',
      gateway: '10.1.0.1',
      source: '10.1.0.5',
    });
    const seen: NetworkChange[] = [];
    const sub = net.changes().subscribe((c) => seen.push(c));
    platform.faults.removeAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
    sub.unsubscribe();
    expect(seen.map((c) => c.kind).sort()).toEqual(['address', 'route']);
    expect((await net.routes()).filter((r) => r.family === 'inet4').map((r) => r.destination)).toEqual([
      '10.2.0.0/24',
    ]);
  });

  it('an injected errno fails the next call only, and changes nothing', async () => {
    const net = make();
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    platform.faults.failNext('addAddress', 'EEXIST');
    platform.faults.failNext('ensureLink', 'ENODEV');
    expect(await codeOf(net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' }))).toBe('EEXIST');
    expect((await net.addresses()).filter((a) => a.family === 'inet4')).toEqual([]);
    await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
    expect(await codeOf(net.ensureLink({ name: 'eth1', logical: false, up: true }))).toBe('ENODEV');
    expect((await link('eth1')).up).toBe(false);
    await net.ensureLink({ name: 'eth1', logical: false, up: true });
    expect((await link('eth1')).up).toBe(true);
  });

  it('a secondary address has no prefix route and goes with its primary (promote_secondaries off)', async () => {
    const net = make();
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
    await net.addAddress({ linkName: 'eth0', address: '10.1.0.6/24' });
    const v4 = (await net.addresses()).filter((a) => a.family === 'inet4');
    expect(v4.map((a) => [a.address, a.flags])).toEqual([
      ['10.1.0.5/24', []],
      ['10.1.0.6/24', ['secondary']],
    ]);
    expect((await net.routes()).filter((r) => r.family === 'inet4').map((r) => r.source)).toEqual([
      '10.1.0.5',
    ]);
    await net.removeAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
    expect((await net.addresses()).filter((a) => a.family === 'inet4')).toEqual([]);
  });

  it('noprefixroute and /32 addresses install no prefix route; IPv6 prefix routes use metric 256', async () => {
    const net = make();
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24', flags: ['noprefixroute'] });
    await net.addAddress({ linkName: 'eth0', address: '10.3.0.1/32' });
    await net.addAddress({ linkName: 'eth0', address: 'FD00:0:0::5/64' });
    expect((await net.addresses()).map((a) => a.address)).toContain('fd00::5/64');
    const routes = (await net.routes()).filter((r) => r.protocol === 'kernel');
    expect(routes.map((r) => [r.destination, r.priority])).toEqual([
      ['fd00::/64', 256],
      ['fe80::/64', 256],
    ]);
    expect(await codeOf(net.addAddress({ linkName: 'eth0', address: '10.1.0.7/24', flags: ['bogus'] }))).toBe(
      'EINVAL',
    );
  });

  it('veth ends give each other a carrier; a VLAN follows its parent; deleting the parent deletes the VLAN', async () => {
    const net = make();
    await net.ensureLink({ name: 'v0', logical: true, kind: 'veth', peerName: 'v1', up: true });
    expect(await link('v0')).toMatchObject({
      kind: 'veth',
      carrier: false,
      operationalState: 'lowerlayerdown',
      parentName: 'v1',
    });
    await net.ensureLink({ name: 'v1', logical: true, kind: 'veth', peerName: 'v0', up: true });
    expect(await link('v0')).toMatchObject({ carrier: true, operationalState: 'up' });
    await net.ensureLink({
      name: 'v0.5',
      logical: true,
      kind: 'vlan',
      parentName: 'v0',
      vlanId: 5,
      up: true,
    });
    expect(await link('v0.5')).toMatchObject({ vlanId: 5, parentName: 'v0', operationalState: 'up' });
    expect(
      await codeOf(
        net.ensureLink({ name: 'v9', logical: true, kind: 'vlan', parentName: 'nope', vlanId: 5, up: true }),
      ),
    ).toBe('ENODEV');
    expect(
      await codeOf(
        net.ensureLink({ name: 'v9', logical: true, kind: 'vlan', parentName: 'v0', vlanId: 0, up: true }),
      ),
    ).toBe('EINVAL');
    expect(await codeOf(net.ensureLink({ name: 'x0', logical: true, kind: 'wireguard', up: true }))).toBe(
      'EOPNOTSUPP',
    );
    expect(await codeOf(net.ensureLink({ name: 'x0', logical: true, up: true }))).toBe('EINVAL');
    await net.deleteLink('v1');
    expect((await net.links()).map((l) => l.name)).toEqual(['lo', 'eth0', 'eth1']);
  });

  it('a bond has a carrier only through a running slave', async () => {
    const net = make();
    await net.ensureLink({ name: 'bond0', logical: true, kind: 'bond', bondMode: 'active-backup', up: true });
    expect(await link('bond0')).toMatchObject({ carrier: false, operationalState: 'down' });
    await net.ensureLink({ name: 'eth0', logical: false, up: true, masterName: 'bond0' });
    expect(await link('eth0')).toMatchObject({ masterName: 'bond0' });
    expect(await link('bond0')).toMatchObject({ carrier: true, operationalState: 'up' });
    platform.faults.setCarrier('eth0', false);
    expect((await link('bond0')).carrier).toBe(false);
    expect(await codeOf(net.ensureLink({ name: 'eth1', logical: false, up: true, masterName: 'eth0' }))).toBe(
      'EINVAL',
    );
    await net.ensureLink({ name: 'eth0', logical: false, up: true, masterName: '' });
    expect((await link('eth0')).masterName).toBeUndefined();
  });

  it('deleting a link takes its addresses and routes', async () => {
    const net = make();
    await net.ensureLink({ name: 'd0', logical: true, kind: 'dummy', up: true });
    expect((await link('d0')).operationalState).toBe('unknown');
    await net.addAddress({ linkName: 'd0', address: '10.4.0.1/24' });
    await net.addRoute({ family: 'inet4', destination: '10.5.0.0/24', outLinkName: 'd0' });
    await net.deleteLink('d0');
    expect((await net.addresses()).filter((a) => a.linkName === 'd0')).toEqual([]);
    expect(await net.routes()).toEqual([]);
  });

  it('a no-op write reports no change', async () => {
    const net = make();
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.setHostname('a', '');
    const seen: NetworkChange[] = [];
    const sub = net.changes().subscribe((c) => seen.push(c));
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.setHostname('a', '');
    sub.unsubscribe();
    expect(seen).toEqual([]);
  });

  it('after close every call is ESHUTDOWN and the stream completes', async () => {
    const net = make();
    let completed = false;
    net.changes().subscribe({ complete: () => (completed = true) });
    await platform.close();
    await platform.close();
    expect(completed).toBe(true);
    expect(await codeOf(net.links())).toBe('ESHUTDOWN');
    expect(await codeOf(net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' }))).toBe('ESHUTDOWN');
  });

  it('hands out the command line and a copy of the metadata', async () => {
    platform = createSimulatedPlatform({
      clock: createVirtualClock(),
      seed: 1,
      cmdline: 'talos.hostname=n1',
      metadata: { hostname: 'm' },
    });
    expect(await platform.cmdline()).toBe('talos.hostname=n1');
    const metadata = (await platform.metadata()) as { hostname: string };
    metadata.hostname = 'changed';
    expect(await platform.metadata()).toEqual({ hostname: 'm' });
  });
});
