import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderHosts, renderResolvConf } from '../../src/controllers/network/etc-file-controller.js';
import {
  AddressSpecs,
  EtcFileSpecs,
  EtcFileStatuses,
  HostnameSpecs,
  LinkSpecs,
  NetworkStatuses,
  ResolverSpecs,
  RouteSpecs,
} from '../../src/node/index.js';
import { nodeControllers } from '../../src/node/node-controllers.js';
import {
  createSimulatedPlatform,
  type SimulatedPlatform,
} from '../../src/platform/simulated/create-simulated-platform.js';
import { type ControllerHarness, controllerHarness, settle } from './helpers.js';

const open: {
  h?: ControllerHarness | undefined;
  platform?: SimulatedPlatform | undefined;
  dir?: string | undefined;
} = {};
afterEach(async () => {
  await open.h?.runtime.stop();
  await open.platform?.close();
  if (open.dir !== undefined) await rm(open.dir, { recursive: true, force: true });
  open.h = undefined;
  open.platform = undefined;
  open.dir = undefined;
});

/** The network chain on a simulated eth0 with a static address, hostname and resolvers. */
async function boot(stateDir?: string, platform?: SimulatedPlatform) {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'converge-etc-files-')));
  open.dir = dir;
  const h = controllerHarness([]);
  open.h = h;
  const p = platform ?? createSimulatedPlatform({ clock: h.clock, seed: 5, links: [{ name: 'eth0' }] });
  open.platform = p;
  for (const c of nodeControllers(p, { stateDir: dir })) h.runtime.register(c);
  await h.runtime.start();
  return { h, platform: p, dir };
}

async function configure(h: ControllerHarness): Promise<void> {
  await h.state.create(LinkSpecs.make('eth0', { name: 'eth0', up: true }));
  await h.state.create(
    AddressSpecs.make('eth0/10.5.0.5/24', { address: '10.5.0.5/24', linkName: 'eth0', family: 'inet4' }),
  );
  await h.state.create(
    RouteSpecs.make('inet4/10.5.0.1//1024', { family: 'inet4', gateway: '10.5.0.1', outLinkName: 'eth0' }),
  );
  await h.state.create(HostnameSpecs.make('hostname', { hostname: 'node-1', domainname: 'example.org' }));
  await h.state.create(
    ResolverSpecs.make('resolvers', { dnsServers: ['10.5.0.1', '1.1.1.1'], searchDomains: ['example.org'] }),
  );
  await settle(h.runtime, h.clock);
}

const hostsOf = (dir: string) => readFile(join(dir, 'etc', 'hosts'), 'utf8');
const inode = async (dir: string, name: string) => (await stat(join(dir, 'etc', name))).ino;

describe('/etc/hosts and /etc/resolv.conf under the state directory', () => {
  it('should write both files with the rendered content, record them, and report them ready', async () => {
    const { h, dir } = await boot();
    await configure(h);
    expect(await hostsOf(dir)).toBe(
      '127.0.0.1\tlocalhost\n10.5.0.5\tnode-1.example.org node-1\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n',
    );
    expect(await readFile(join(dir, 'etc', 'resolv.conf'), 'utf8')).toBe(
      'nameserver 10.5.0.1\nnameserver 1.1.1.1\nsearch example.org\n',
    );
    expect((await stat(join(dir, 'etc', 'hosts'))).mode & 0o777).toBe(0o644);
    const status = await h.state.get(EtcFileStatuses.pointer('hosts'));
    const spec = await h.state.get(EtcFileSpecs.pointer('hosts'));
    expect(status.metadata.namespace).toBe('files');
    expect(status.spec.path).toBe(join(dir, 'etc', 'hosts'));
    expect(status.spec.specVersion).toBe(String(spec.metadata.version));
    expect(status.spec.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await h.state.get(NetworkStatuses.pointer('status'))).spec.etcFilesReady).toBe(true);
  });

  it('should rewrite /etc/hosts when the hostname changes, and leave resolv.conf alone', async () => {
    const { h, dir } = await boot();
    await configure(h);
    const resolvInode = await inode(dir, 'resolv.conf');
    await h.state.modify(HostnameSpecs.make('hostname', { hostname: 'x' }), (d) => {
      d.spec.hostname = 'node-2';
    });
    await settle(h.runtime, h.clock);
    expect(await hostsOf(dir)).toContain('10.5.0.5\tnode-2.example.org node-2\n');
    const status = await h.state.get(EtcFileStatuses.pointer('hosts'));
    expect(status.spec.specVersion).toBe(
      String((await h.state.get(EtcFileSpecs.pointer('hosts'))).metadata.version),
    );
    expect(await inode(dir, 'resolv.conf')).toBe(resolvInode);
  });

  it('should wait for the default address before rendering /etc/hosts, then write it once', async () => {
    const { h, dir } = await boot();
    // The hostname and resolvers come first, as after a restart they can: no address yet.
    await h.state.create(HostnameSpecs.make('hostname', { hostname: 'node-1', domainname: 'example.org' }));
    await h.state.create(ResolverSpecs.make('resolvers', { dnsServers: ['10.5.0.1'], searchDomains: [] }));
    await settle(h.runtime, h.clock);
    expect((await h.state.list(EtcFileSpecs.kind())).map((s) => s.metadata.id)).toEqual(['resolv.conf']);
    await h.state.create(LinkSpecs.make('eth0', { name: 'eth0', up: true }));
    await h.state.create(
      AddressSpecs.make('eth0/10.5.0.5/24', { address: '10.5.0.5/24', linkName: 'eth0', family: 'inet4' }),
    );
    await settle(h.runtime, h.clock);
    expect(await hostsOf(dir)).toContain('10.5.0.5\tnode-1.example.org node-1\n');
    // Rendered once: never a version naming 127.0.1.1 first.
    expect((await h.state.get(EtcFileSpecs.pointer('hosts'))).metadata.version).toBe(1);
  });

  it('should not rewrite the files when nothing they say changed, nor after a restart', async () => {
    const { h, platform, dir } = await boot();
    await configure(h);
    const before = { hosts: await inode(dir, 'hosts'), resolv: await inode(dir, 'resolv.conf') };
    const statusVersion = (await h.state.get(EtcFileStatuses.pointer('hosts'))).metadata.version;
    // A second address: the default address is sticky, so /etc/hosts says the same.
    await h.state.create(
      AddressSpecs.make('eth0/10.5.0.6/24', { address: '10.5.0.6/24', linkName: 'eth0', family: 'inet4' }),
    );
    await settle(h.runtime, h.clock);
    expect((await platform.network.addresses()).map((a) => a.address)).toContain('10.5.0.6/24');
    expect({ hosts: await inode(dir, 'hosts'), resolv: await inode(dir, 'resolv.conf') }).toEqual(before);
    expect((await h.state.get(EtcFileStatuses.pointer('hosts'))).metadata.version).toBe(statusVersion);

    // A restarted node (a new store) finds the files already right on disk.
    await h.runtime.stop();
    const again = await boot(dir, platform);
    await configure(again.h);
    expect({ hosts: await inode(dir, 'hosts'), resolv: await inode(dir, 'resolv.conf') }).toEqual(before);
    expect((await again.h.state.get(NetworkStatuses.pointer('status'))).spec.etcFilesReady).toBe(true);
  });

  it('should not report the files ready while they cannot be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-etc-files-'));
    // A file where the etc directory should be: every write fails.
    await writeFile(join(dir, 'etc'), 'not a directory');
    const { h } = await boot(dir);
    await configure(h);
    const status = await h.state.get(NetworkStatuses.pointer('status'));
    expect(status.spec.hostnameReady).toBe(true);
    expect(status.spec.etcFilesReady).toBe(false);
    expect(await h.state.list(EtcFileStatuses.kind())).toEqual([]);
    expect(h.runtime.metrics().controllers['files.EtcFileController']?.errors).toBeGreaterThan(0);
  });

  it('should refuse an EtcFileSpec whose id is not a plain file name, writing nothing outside etc', async () => {
    const { h, dir } = await boot();
    await h.state.create(EtcFileSpecs.make('../escape', { contents: 'x\n' }));
    await settle(h.runtime, h.clock);
    await expect(stat(join(dir, 'escape'))).rejects.toMatchObject({ code: 'ENOENT' });
    const failing = (await h.runtime.settled()).failing.find(
      (f) => f.controller === 'files.EtcFileController',
    );
    expect(String(failing?.lastError)).toContain('"../escape": the id must be a plain file name');
  });
});

describe('rendering', () => {
  it('should name the node on 127.0.1.1 before it has an address, without repeating a bare hostname', () => {
    expect(renderHosts({ hostname: 'talos-a', domainname: '' }, undefined).split('\n')[1]).toBe(
      '127.0.1.1\ttalos-a',
    );
    expect(renderHosts({ hostname: 'n', domainname: '' }, 'fd00::5/64').split('\n')[1]).toBe('fd00::5\tn');
  });

  it('should keep the first three name servers, as the resolver reads no more', () => {
    expect(
      renderResolvConf({ dnsServers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], searchDomains: [] }),
    ).toBe('nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n');
  });
});
