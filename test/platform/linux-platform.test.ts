import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinuxPlatform, type LinuxPlatform } from '../../src/platform/linux/create-linux-platform.js';
import type { NetworkChange } from '../../src/platform/network.js';
import { createTestNetns, listNetns, processesMentioning, type TestNetns } from './helpers/netns.js';
import { codeOf } from './helpers/network-behaviour.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** Polls `check` until it passes (at most ~5 s of 10 ms settles), then asserts it once more. */
async function eventually(check: () => Promise<void> | void): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      await check();
      return;
    } catch {
      await settle();
    }
  }
  await check();
}

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

describe('linux platform in a test namespace', () => {
  let ns: TestNetns;
  let stateDir: string;
  let platform: LinuxPlatform;

  beforeEach(async () => {
    ns = await createTestNetns();
    stateDir = await mkdtemp(join(tmpdir(), 'cvg-platform-'));
    platform = createLinuxPlatform({ netns: ns.name, stateDir, physicalLinks: ['eth0'] });
    await ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-p');
    await ns.ip('link', 'set', 'eth0-p', 'up');
  });
  afterEach(async () => {
    try {
      await platform.close();
      expect(await processesMentioning(ns.name)).toEqual([]);
    } finally {
      await ns.remove();
      await rm(stateDir, { recursive: true, force: true });
    }
    expect(await listNetns()).not.toContain(ns.name);
  });

  it('writes what the kernel then holds, as `ip -n NS -json` shows it', async () => {
    const net = platform.network;
    await net.ensureLink({ name: 'eth0', logical: false, up: true, mtu: 1400 });
    await net.addAddress({ linkName: 'eth0', address: '10.20.0.5/24' });
    await net.addRoute({ family: 'inet4', destination: '', gateway: '10.20.0.1', priority: 1024 });
    const [link] = await ns.json<{ mtu: number; flags: string[] }[]>('link', 'show', 'eth0');
    expect(link!.mtu).toBe(1400);
    expect(link!.flags).toContain('UP');
    const [addr] = await ns.json<IpAddr[]>('addr', 'show', 'eth0');
    expect(
      addr!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    ).toEqual(['10.20.0.5/24']);
    const routes = await ns.json<{ dst: string; gateway?: string; metric?: number; protocol?: string }[]>(
      '-4',
      'route',
    );
    expect(routes).toContainEqual(
      expect.objectContaining({ dst: 'default', gateway: '10.20.0.1', metric: 1024, protocol: 'static' }),
    );
  });

  it('sees a manual `ip addr del` behind its back on the stream and in its reads; keeps foreign addresses listed', async () => {
    const net = platform.network;
    await net.ensureLink({ name: 'eth0', logical: false, up: true });
    await net.addAddress({ linkName: 'eth0', address: '10.20.0.5/24' });
    const seen: NetworkChange[] = [];
    const sub = net.changes().subscribe((c) => seen.push(c));
    try {
      await eventually(() => expect(seen.some((c) => c.linkName === undefined)).toBe(true)); // the monitor's start-up resync
      await ns.ip('addr', 'del', '10.20.0.5/24', 'dev', 'eth0');
      await ns.ip('addr', 'add', '10.30.0.9/24', 'dev', 'eth0-p');
      await eventually(() => expect(seen).toContainEqual({ kind: 'address', linkName: 'eth0' }));
      await eventually(() => expect(seen).toContainEqual({ kind: 'address', linkName: 'eth0-p' }));
      const addresses = (await net.addresses()).filter((a) => a.family === 'inet4');
      expect(addresses.map((a) => `${a.linkName} ${a.address}`)).toEqual(['eth0-p 10.30.0.9/24']);
    } finally {
      sub.unsubscribe();
    }
  });

  it('restarts `ip monitor` when it dies, and leaves none behind when nobody listens', async () => {
    const net = platform.network;
    const seen: NetworkChange[] = [];
    const sub = net.changes().subscribe((c) => seen.push(c));
    await eventually(async () => expect(await processesMentioning(ns.name)).toHaveLength(1));
    const [first] = await processesMentioning(ns.name);
    process.kill(first!, 'SIGKILL');
    await eventually(async () => {
      const now = await processesMentioning(ns.name);
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(first);
    });
    await eventually(() =>
      expect(seen.filter((c) => c.kind === 'link' && c.linkName === undefined).length).toBe(2),
    );
    await ns.ip('link', 'set', 'eth0', 'up');
    await eventually(() => expect(seen).toContainEqual({ kind: 'link', linkName: 'eth0' }));
    sub.unsubscribe();
    await eventually(async () => expect(await processesMentioning(ns.name)).toEqual([]));
  });

  it('keeps hostname and resolvers as files under stateDir and leaves the host alone', async () => {
    const before = osHostname();
    await platform.network.setHostname('node-7', 'cluster.local');
    await platform.network.setResolvers({ nameServers: ['10.20.0.1'], searchDomains: ['cluster.local'] });
    expect(JSON.parse(await readFile(join(stateDir, 'network', 'hostname.json'), 'utf8'))).toEqual({
      hostname: 'node-7',
      domainname: 'cluster.local',
    });
    expect(JSON.parse(await readFile(join(stateDir, 'network', 'resolvers.json'), 'utf8'))).toEqual({
      nameServers: ['10.20.0.1'],
      searchDomains: ['cluster.local'],
    });
    expect(osHostname()).toBe(before);
    const again = createLinuxPlatform({ netns: ns.name, stateDir });
    expect(await again.network.hostname()).toEqual({ hostname: 'node-7', domainname: 'cluster.local' });
    await again.close();
  });

  it('reports that DHCP is not supported, a synced system clock, the command line and metadata', async () => {
    expect(await codeOf(platform.dhcp.start('eth0'))).toBe('EOPNOTSUPP');
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    expect(platform.time.status().synced).toBe(true);
    expect(Math.abs(platform.time.now() - Date.now())).toBeLessThan(60_000);
    const metadataFile = join(stateDir, 'metadata.json');
    await writeFile(metadataFile, '{"hostname":"m1"}');
    const withMetadata = createLinuxPlatform({ netns: ns.name, stateDir, cmdline: 'ip=dhcp', metadataFile });
    expect(await withMetadata.cmdline()).toBe('ip=dhcp');
    expect(await withMetadata.metadata()).toEqual({ hostname: 'm1' });
    expect(await platform.metadata()).toBeUndefined();
    const missing = createLinuxPlatform({
      netns: ns.name,
      stateDir,
      metadataFile: join(stateDir, 'nope.json'),
    });
    expect(await codeOf(missing.metadata())).toBe('ENOENT');
    await withMetadata.close();
    await missing.close();
  });

  it('a namespace that does not exist is ENOENT; a bad name is refused before anything runs', async () => {
    const ghost = createLinuxPlatform({ netns: `${ns.name}-ghost`, stateDir });
    expect(await codeOf(ghost.network.links())).toBe('ENOENT');
    await ghost.close();
    expect(() => createLinuxPlatform({ netns: '-n', stateDir })).toThrow(/invalid network namespace/);
    expect(
      await codeOf(platform.network.ensureLink({ name: 'a b', logical: true, kind: 'bridge', up: true })),
    ).toBe('EINVAL');
  });

  it('after close calls are ESHUTDOWN and the stream completes', async () => {
    let completed = false;
    platform.network.changes().subscribe({ complete: () => (completed = true) });
    await platform.close();
    expect(completed).toBe(true);
    expect(await codeOf(platform.network.links())).toBe('ESHUTDOWN');
  });
});
