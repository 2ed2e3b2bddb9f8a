/**
 * One behavioural suite for every NetworkPlatform: the same calls against the simulated kernel and
 * against Linux in a namespace, the same observations expected.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPlatformError, type PlatformErrorCode } from '../../../src/platform/errors.js';
import type { NetworkChange, NetworkPlatform, PlatformRoute } from '../../../src/platform/network.js';

/** What a suite run needs from one platform. */
export interface NetworkHarness {
  readonly network: NetworkPlatform;
  /** Adds a link standing in for a NIC with its cable plugged (admin down, reported physical). */
  addCabledLink(name: string): Promise<void>;
  /** Lets asynchronous observations arrive (events, kernel work); called between polls. */
  settle(): Promise<void>;
  /** Releases everything the harness made. */
  close(): Promise<void>;
}

/** Polls `check` (settling between tries) until it passes or `tries` run out, then asserts it once more. */
async function eventually(
  harness: NetworkHarness,
  check: () => Promise<void> | void,
  tries = 200,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    try {
      await check();
      return;
    } catch {
      await harness.settle();
    }
  }
  await check();
}

/** The PlatformError code a call rejects with. */
export async function codeOf(call: Promise<unknown>): Promise<PlatformErrorCode | 'resolved'> {
  try {
    await call;
    return 'resolved';
  } catch (error) {
    if (isPlatformError(error)) return error.code;
    throw error;
  }
}

/** The EUI-64 link-local address of a MAC. */
function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => Number.parseInt(h, 16));
  const g = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return `fe80::${g(b[0]! ^ 2, b[1]!)}:${g(b[2]!, 0xff)}:${g(0xfe, b[3]!)}:${g(b[4]!, b[5]!)}/64`;
}

const routesOf = (routes: PlatformRoute[], linkName: string, family = 'inet4') =>
  routes.filter((r) => r.outLinkName === linkName && r.family === family);

/** Registers the shared suite under `name`, with a fresh harness per test. */
export function describeNetworkBehaviour(name: string, makeHarness: () => Promise<NetworkHarness>): void {
  describe(`NetworkPlatform behaviour: ${name}`, () => {
    let h: NetworkHarness;
    let net: NetworkPlatform;
    beforeEach(async () => {
      h = await makeHarness();
      net = h.network;
    });
    afterEach(async () => {
      await h?.close();
    });

    const up = async (linkName: string) => {
      await net.ensureLink({ name: linkName, logical: false, up: true });
      await eventually(h, async () => {
        const link = (await net.links()).find((l) => l.name === linkName);
        expect(link?.operationalState).toBe('up');
      });
    };

    it('starts with lo at index 1; bringing it up gives it 127.0.0.1/8 and ::1/128', async () => {
      const lo = (await net.links()).find((l) => l.name === 'lo');
      expect(lo).toMatchObject({ index: 1, type: 'loopback', kind: '', physical: false });
      await net.ensureLink({ name: 'lo', logical: false, up: true });
      await eventually(h, async () => {
        const addresses = (await net.addresses()).filter((a) => a.linkName === 'lo');
        expect(addresses.map((a) => [a.address, a.family, a.scope]).sort()).toEqual([
          ['127.0.0.1/8', 'inet4', 'host'],
          ['::1/128', 'inet6', 'host'],
        ]);
      });
      expect((await net.links()).find((l) => l.name === 'lo')).toMatchObject({
        up: true,
        operationalState: 'unknown',
      });
    });

    it('a cabled link comes up with a carrier and an EUI-64 link-local address', async () => {
      await h.addCabledLink('eth0');
      const before = (await net.links()).find((l) => l.name === 'eth0')!;
      expect(before).toMatchObject({
        up: false,
        operationalState: 'down',
        carrier: false,
        physical: true,
        mtu: 1500,
      });
      expect(before.hardwareAddr).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      await up('eth0');
      expect((await net.links()).find((l) => l.name === 'eth0')).toMatchObject({ up: true, carrier: true });
      await eventually(h, async () => {
        const v6 = (await net.addresses()).filter((a) => a.linkName === 'eth0' && a.family === 'inet6');
        expect(v6.map((a) => [a.address, a.scope])).toEqual([[linkLocalOf(before.hardwareAddr), 'link']]);
      });
    });

    it('an address brings its prefix route; a duplicate is EEXIST, a missing one EADDRNOTAVAIL', async () => {
      await h.addCabledLink('eth0');
      await up('eth0');
      await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
      const v4 = (await net.addresses()).filter((a) => a.linkName === 'eth0' && a.family === 'inet4');
      expect(v4).toEqual([
        { linkName: 'eth0', address: '10.1.0.5/24', family: 'inet4', scope: 'global', flags: [] },
      ]);
      expect(routesOf(await net.routes(), 'eth0')).toEqual([
        {
          family: 'inet4',
          destination: '10.1.0.0/24',
          gateway: '',
          source: '10.1.0.5',
          outLinkName: 'eth0',
          table: 254,
          priority: 0,
          scope: 'link',
          type: 'unicast',
          protocol: 'kernel',
        },
      ]);
      expect(await codeOf(net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' }))).toBe('EEXIST');
      expect(await codeOf(net.addAddress({ linkName: 'nope0', address: '10.1.0.6/24' }))).toBe('ENODEV');
      expect(await codeOf(net.addAddress({ linkName: 'eth0', address: '10.1.0.300/24' }))).toBe('EINVAL');
      expect(await codeOf(net.removeAddress({ linkName: 'eth0', address: '10.1.0.77/24' }))).toBe(
        'EADDRNOTAVAIL',
      );
      await net.removeAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
      expect((await net.addresses()).filter((a) => a.linkName === 'eth0' && a.family === 'inet4')).toEqual(
        [],
      );
      expect(routesOf(await net.routes(), 'eth0')).toEqual([]);
    });

    it('routes follow kernel rules: identity, reachable gateway, link up, ESRCH on removal', async () => {
      await h.addCabledLink('eth0');
      await up('eth0');
      await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
      await net.addRoute({
        family: 'inet4',
        destination: '',
        gateway: '10.1.0.1',
        outLinkName: 'eth0',
        priority: 1024,
      });
      await net.addRoute({ family: 'inet4', destination: '10.8.0.0/16', gateway: '10.1.0.1', table: 100 });
      const routes = routesOf(await net.routes(), 'eth0')
        .filter((r) => r.protocol !== 'kernel')
        .sort((a, b) => a.table - b.table);
      expect(routes).toEqual([
        {
          family: 'inet4',
          destination: '10.8.0.0/16',
          gateway: '10.1.0.1',
          source: '',
          outLinkName: 'eth0',
          table: 100,
          priority: 0,
          scope: 'global',
          type: 'unicast',
          protocol: 'static',
        },
        {
          family: 'inet4',
          destination: '',
          gateway: '10.1.0.1',
          source: '',
          outLinkName: 'eth0',
          table: 254,
          priority: 1024,
          scope: 'global',
          type: 'unicast',
          protocol: 'static',
        },
      ]);
      const again = { family: 'inet4', destination: '', gateway: '10.1.0.2', priority: 1024 } as const;
      expect(await codeOf(net.addRoute(again))).toBe('EEXIST');
      expect(await codeOf(net.addRoute({ ...again, gateway: '10.9.9.9', priority: 5 }))).toBe('ENETUNREACH');
      expect(await codeOf(net.addRoute({ ...again, outLinkName: 'nope0', priority: 5 }))).toBe('ENODEV');
      expect(await codeOf(net.addRoute({ ...again, destination: '10.8.0.1/16' }))).toBe('EINVAL');
      expect(await codeOf(net.removeRoute({ family: 'inet4', destination: '10.77.0.0/24' }))).toBe('ESRCH');
      await net.removeRoute({ family: 'inet4', destination: '10.8.0.0/16', table: 100 });
      await net.removeRoute({ family: 'inet4', destination: '', priority: 1024 });
      expect(routesOf(await net.routes(), 'eth0').map((r) => r.protocol)).toEqual(['kernel']);
    });

    it('admin down drops the link routes and its IPv6 addresses; up brings the prefix route back', async () => {
      await h.addCabledLink('eth0');
      await up('eth0');
      await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
      await net.addAddress({ linkName: 'eth0', address: 'fd00::5/64', flags: ['nodad'] });
      await net.addRoute({ family: 'inet4', destination: '10.8.0.0/16', gateway: '10.1.0.1' });
      await net.ensureLink({ name: 'eth0', logical: false, up: false });
      expect(
        await codeOf(net.addRoute({ family: 'inet4', destination: '10.9.0.0/16', outLinkName: 'eth0' })),
      ).toBe('ENETDOWN');
      await eventually(h, async () => {
        expect((await net.routes()).filter((r) => r.outLinkName === 'eth0')).toEqual([]);
        expect((await net.addresses()).filter((a) => a.linkName === 'eth0').map((a) => a.address)).toEqual([
          '10.1.0.5/24',
        ]);
      });
      await up('eth0');
      expect(routesOf(await net.routes(), 'eth0').map((r) => r.destination)).toEqual(['10.1.0.0/24']);
    });

    it('removing the last IPv4 address drops every IPv4 route through the link', async () => {
      await h.addCabledLink('eth0');
      await up('eth0');
      await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
      await net.addRoute({ family: 'inet4', destination: '', gateway: '10.1.0.1' });
      await net.removeAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
      expect(routesOf(await net.routes(), 'eth0')).toEqual([]);
    });

    it('logical links are created, changed and deleted; physical ones are never deleted', async () => {
      await h.addCabledLink('eth0');
      await net.ensureLink({ name: 'br0', logical: true, kind: 'bridge', up: true, mtu: 1400 });
      expect((await net.links()).find((l) => l.name === 'br0')).toMatchObject({
        kind: 'bridge',
        type: 'ether',
        physical: false,
        up: true,
        mtu: 1400,
        operationalState: 'unknown',
      });
      expect(
        await codeOf(net.ensureLink({ name: 'br0', logical: true, kind: 'veth', peerName: 'x0', up: true })),
      ).toBe('EEXIST');
      expect(await codeOf(net.ensureLink({ name: 'eth9', logical: false, up: true }))).toBe('ENODEV');
      expect(
        await codeOf(net.ensureLink({ name: 'br0', logical: true, kind: 'bridge', up: true, mtu: 10 })),
      ).toBe('EINVAL');
      expect(await codeOf(net.deleteLink('eth0'))).toBe('EOPNOTSUPP');
      await net.deleteLink('br0');
      expect((await net.links()).map((l) => l.name)).not.toContain('br0');
      expect(await codeOf(net.deleteLink('br0'))).toBe('ENODEV');
    });

    it('keeps the hostname and resolvers, refusing invalid ones', async () => {
      await net.setHostname('node-1', 'example.org');
      expect(await net.hostname()).toEqual({ hostname: 'node-1', domainname: 'example.org' });
      expect(await codeOf(net.setHostname('bad_name!', ''))).toBe('EINVAL');
      expect(await net.hostname()).toEqual({ hostname: 'node-1', domainname: 'example.org' });
      await net.setResolvers({ nameServers: ['10.1.0.1', 'fd00::1'], searchDomains: ['example.org'] });
      expect(await net.resolvers()).toEqual({
        nameServers: ['10.1.0.1', 'fd00::1'],
        searchDomains: ['example.org'],
      });
      expect(await codeOf(net.setResolvers({ nameServers: ['not-an-ip'], searchDomains: [] }))).toBe(
        'EINVAL',
      );
      expect((await net.resolvers()).nameServers).toEqual(['10.1.0.1', 'fd00::1']);
    });

    it('reports every kind of change on its stream', async () => {
      await h.addCabledLink('eth0');
      const seen: NetworkChange[] = [];
      const subscription = net.changes().subscribe((c) => seen.push(c));
      try {
        const kinds = () => new Set(seen.map((c) => c.kind));
        // Changes of a link's objects name the link.
        const onEth0 = () => new Set(seen.filter((c) => c.linkName === 'eth0').map((c) => c.kind));
        await up('eth0');
        await eventually(h, () => expect(onEth0().has('link')).toBe(true));
        await net.addAddress({ linkName: 'eth0', address: '10.1.0.5/24' });
        await eventually(h, () => expect(onEth0().has('address')).toBe(true));
        await eventually(h, () => expect(onEth0().has('route')).toBe(true));
        await net.setHostname('node-2', '');
        await eventually(h, () => expect(kinds().has('hostname')).toBe(true));
        await net.setResolvers({ nameServers: ['10.1.0.1'], searchDomains: [] });
        await eventually(h, () => expect(kinds().has('resolvers')).toBe(true));
      } finally {
        subscription.unsubscribe();
      }
    });
  });
}
