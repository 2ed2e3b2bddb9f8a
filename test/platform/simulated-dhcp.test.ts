import { afterEach, describe, expect, it } from 'vitest';
import type { DhcpChange } from '../../src/platform/dhcp.js';
import {
  createSimulatedPlatform,
  type SimulatedPlatform,
  type SimulatedPlatformLink,
} from '../../src/platform/simulated/create-simulated-platform.js';
import { createVirtualClock, type VirtualClock } from '../../src/testing/virtual-clock.js';
import { codeOf } from './helpers/network-behaviour.js';

const hour = 3_600_000;

describe('simulated DHCP', () => {
  let platform: SimulatedPlatform;
  let clock: VirtualClock;
  let changes: DhcpChange[];
  afterEach(() => platform.close());

  const boot = async (link: SimulatedPlatformLink, seed = 1) => {
    clock = createVirtualClock();
    platform = createSimulatedPlatform({ clock, seed, links: [link] });
    changes = [];
    platform.dhcp.changes().subscribe((c) => changes.push(c));
    await platform.network.ensureLink({ name: link.name, logical: false, up: true });
  };

  it('leases an address of the link’s subnet with router, DNS, NTP and hostname', async () => {
    await boot({
      name: 'eth0',
      dhcp: { hostname: 'node-a', domainname: 'lan', searchDomains: ['lan'], mtu: 1450 },
    });
    await platform.dhcp.start('eth0');
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    await clock.advance(50);
    const lease = platform.dhcp.lease('eth0')!;
    expect(lease).toMatchObject({
      linkName: 'eth0',
      router: '10.1.0.1',
      dnsServers: ['10.1.0.1'],
      ntpServers: ['10.1.0.1'],
      hostname: 'node-a',
      domainname: 'lan',
      searchDomains: ['lan'],
      mtu: 1450,
      leaseTimeMs: hour,
      acquiredAt: clock.now(),
      renewAt: clock.now() + hour / 2,
      rebindAt: clock.now() + (hour * 7) / 8,
      expiresAt: clock.now() + hour,
    });
    expect(lease.address).toMatch(/^10\.1\.0\.\d+\/24$/);
    expect(lease.address).not.toBe('10.1.0.1/24');
    expect(changes.map((c) => c.type)).toEqual(['acquired']);
    expect(platform.dhcp.clients()).toEqual(['eth0']);
  });

  it('the same seed gives the same address; a client keeps its address across renewals', async () => {
    await boot({ name: 'eth0', dhcp: true }, 42);
    await platform.dhcp.start('eth0');
    await clock.advance(50);
    const first = platform.dhcp.lease('eth0')!.address;
    await clock.advance(hour / 2 + 50);
    expect(changes.map((c) => c.type)).toEqual(['acquired', 'renewed']);
    expect(platform.dhcp.lease('eth0')!.address).toBe(first);
    expect(platform.dhcp.lease('eth0')!.expiresAt).toBe(clock.now() + hour);
    await platform.close();
    await boot({ name: 'eth0', dhcp: true }, 42);
    await platform.dhcp.start('eth0');
    await clock.advance(50);
    expect(platform.dhcp.lease('eth0')!.address).toBe(first);
  });

  it('a silent server lets the lease expire, then the client starts over', async () => {
    await boot({ name: 'eth0', dhcp: { leaseTimeMs: 600_000 } });
    await platform.dhcp.start('eth0');
    await clock.advance(50);
    platform.faults.dhcpServer('eth0', { silent: true });
    await clock.advance(600_000);
    expect(changes.map((c) => c.type)).toEqual(['acquired', 'expired']);
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    platform.faults.dhcpServer('eth0', { silent: false });
    await clock.advance(70_000);
    expect(changes.map((c) => c.type)).toEqual(['acquired', 'expired', 'acquired']);
  });

  it('no lease while the link has no carrier; discovery retries with backoff until it has one', async () => {
    await boot({ name: 'eth0', dhcp: true, carrier: false });
    await platform.dhcp.start('eth0');
    await clock.advance(60_000);
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    platform.faults.setCarrier('eth0', true);
    await clock.advance(65_000);
    expect(platform.dhcp.lease('eth0')).toBeDefined();
  });

  it('a slow server answers late; renew() times out against a silent one', async () => {
    await boot({ name: 'eth0', dhcp: { responseDelayMs: 3_000 } });
    await platform.dhcp.start('eth0');
    await clock.advance(2_999);
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    await clock.advance(1);
    expect(platform.dhcp.lease('eth0')).toBeDefined();
    const renewed = platform.dhcp.renew('eth0');
    await clock.advance(3_000);
    expect((await renewed).acquiredAt).toBe(clock.now());
    platform.faults.dhcpServer('eth0', { silent: true });
    const timedOut = codeOf(platform.dhcp.renew('eth0'));
    await clock.advance(10_000);
    expect(await timedOut).toBe('ETIMEDOUT');
  });

  it('stop releases the lease; start twice is EBUSY, stop of nothing ENOENT', async () => {
    await boot({ name: 'eth0', dhcp: true });
    await platform.dhcp.start('eth0');
    expect(await codeOf(platform.dhcp.start('eth0'))).toBe('EBUSY');
    await clock.advance(50);
    await platform.dhcp.stop('eth0');
    expect(changes.map((c) => c.type)).toEqual(['acquired', 'released']);
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    expect(await codeOf(platform.dhcp.stop('eth0'))).toBe('ENOENT');
    expect(await codeOf(platform.dhcp.renew('eth0'))).toBe('ENOENT');
    await clock.runUntilIdle();
    expect(clock.pending()).toBe(0);
  });

  it('close stops every client timer', async () => {
    await boot({ name: 'eth0', dhcp: true });
    await platform.dhcp.start('eth0');
    await clock.advance(50);
    await platform.close();
    expect(clock.pending()).toBe(0);
    expect(await codeOf(platform.dhcp.start('eth0'))).toBe('ESHUTDOWN');
  });

  it('refuses a bad server subnet and an unknown link', async () => {
    await boot({ name: 'eth0', dhcp: true });
    expect(() => platform.faults.dhcpServer('eth0', { subnet: 'fd00::/64' })).toThrow(/IPv4/);
    expect(() => platform.faults.dhcpServer('eth9', {})).toThrow(/no such physical link/);
  });
});

describe('simulated time', () => {
  it('syncs a delay after servers are set, jumps on demand, resyncs after losing sync', async () => {
    const clock = createVirtualClock();
    const platform = createSimulatedPlatform({ clock, seed: 1, time: { syncDelayMs: 5_000 } });
    const seen: unknown[] = [];
    platform.time.changes().subscribe((c) => seen.push(c));
    expect(platform.time.status()).toEqual({ synced: false, servers: [], lastSyncAt: undefined, jumps: 0 });
    await clock.advance(60_000);
    expect(platform.time.status().synced).toBe(false);
    await platform.time.setServers(['pool.ntp.org']);
    await clock.advance(4_999);
    expect(platform.time.status().synced).toBe(false);
    await clock.advance(1);
    expect(platform.time.status()).toEqual({
      synced: true,
      servers: ['pool.ntp.org'],
      lastSyncAt: clock.now(),
      jumps: 0,
    });
    const before = platform.time.now();
    platform.faults.jumpTime(20 * 60_000);
    expect(platform.time.now()).toBe(before + 20 * 60_000);
    expect(platform.time.status().jumps).toBe(1);
    platform.faults.loseTimeSync();
    await clock.advance(5_000);
    expect(seen).toEqual([
      { type: 'synced' },
      { type: 'jumped', jumpMs: 1_200_000 },
      { type: 'unsynced' },
      { type: 'synced' },
    ]);
    expect(await codeOf(platform.time.setServers(['']))).toBe('EINVAL');
    await platform.close();
    expect(clock.pending()).toBe(0);
  });
});
