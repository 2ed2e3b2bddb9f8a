import { afterEach, describe, expect, it } from 'vitest';
import type { AnyResource } from '../../src/index.js';
import {
  AddressSpecs,
  AddressStatuses,
  HostnameSpecs,
  HostnameStatuses,
  LinkSpecs,
  LinkStatuses,
  NetworkStatuses,
  NodeAddresses,
  ResolverSpecs,
  RouteSpecs,
  RouteStatuses,
} from '../../src/node/index.js';
import { nodeControllers } from '../../src/node/node-controllers.js';
import {
  createSimulatedPlatform,
  type SimulatedPlatform,
} from '../../src/platform/simulated/create-simulated-platform.js';
import { type ControllerHarness, controllerHarness, settle, temporaryStateDir } from './helpers.js';

const stateDir = temporaryStateDir();

let h: ControllerHarness | undefined;
let platform: SimulatedPlatform | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  await platform?.close();
  h = undefined;
  platform = undefined;
});

async function boot(): Promise<{ h: ControllerHarness; platform: SimulatedPlatform }> {
  h = controllerHarness([]);
  platform = createSimulatedPlatform({ clock: h.clock, seed: 7, links: [{ name: 'eth0' }] });
  for (const c of nodeControllers(platform, { stateDir: stateDir() })) h.runtime.register(c);
  await h.runtime.start();
  return { h, platform };
}

async function put(h: ControllerHarness, resource: AnyResource): Promise<void> {
  await h.state.create(resource);
}

/** Tears a user-owned spec down and destroys it once the spec controller released it. */
async function remove(h: ControllerHarness, resource: AnyResource): Promise<void> {
  const { namespace, type, id } = resource.metadata;
  await h.state.teardownAndDestroy({ namespace, type, id });
}

const link = (name: string) => LinkSpecs.make(name, { name, up: true, layer: 'configuration' });
const address = (linkName: string, a: string) =>
  AddressSpecs.make(`${linkName}/${a}`, { address: a, linkName, family: 'inet4', layer: 'configuration' });
const defaultRoute = RouteSpecs.make('inet4/10.5.0.1//1024', {
  family: 'inet4',
  gateway: '10.5.0.1',
  outLinkName: 'eth0',
  priority: 1024,
  layer: 'configuration',
});

describe('network controllers on the simulated platform', () => {
  it('should apply merged specs to the kernel and report statuses and readiness', async () => {
    const { h, platform } = await boot();
    for (const r of [link('lo'), link('eth0'), address('eth0', '10.5.0.5/24'), defaultRoute]) await put(h, r);
    await put(h, HostnameSpecs.make('hostname', { hostname: 'node-1', layer: 'configuration' }));
    await put(h, ResolverSpecs.make('resolvers', { dnsServers: ['1.1.1.1'], layer: 'configuration' }));
    await settle(h.runtime, h.clock);

    const kernel = await platform.network.addresses();
    expect(kernel.map((a) => `${a.linkName} ${a.address}`)).toContain('eth0 10.5.0.5/24');
    const routes = await platform.network.routes();
    expect(routes.some((r) => r.destination === '' && r.gateway === '10.5.0.1' && r.priority === 1024)).toBe(
      true,
    );
    expect(await platform.network.hostname()).toEqual({ hostname: 'node-1', domainname: '' });
    expect((await h.state.get(LinkStatuses.pointer('eth0'))).spec.operationalState).toBe('up');
    expect((await h.state.get(AddressStatuses.pointer('eth0/10.5.0.5/24'))).spec.linkName).toBe('eth0');
    expect((await h.state.get(RouteStatuses.pointer('inet4/10.5.0.1//1024'))).spec.outLinkName).toBe('eth0');
    expect((await h.state.get(HostnameStatuses.pointer('hostname'))).spec.hostname).toBe('node-1');
    expect((await h.state.get(NodeAddresses.pointer('default'))).spec.addresses).toEqual(['10.5.0.5/24']);
    expect((await h.state.get(NodeAddresses.pointer('current'))).spec.addresses).toEqual(['10.5.0.5/24']);
    expect((await h.state.get(NetworkStatuses.pointer('status'))).spec).toEqual({
      addressReady: true,
      connectivityReady: true,
      hostnameReady: true,
      etcFilesReady: true,
    });
    // Every spec carries its controller's finalizer while it is applied.
    expect((await h.state.get(AddressSpecs.pointer('eth0/10.5.0.5/24'))).metadata.finalizers).toEqual([
      'network.AddressSpecController',
    ]);
  });

  it('should remove from the kernel what a removed spec made, re-apply what vanished, keep what it did not make', async () => {
    const { h, platform } = await boot();
    const second = address('eth0', '10.5.0.6/24');
    for (const r of [link('eth0'), address('eth0', '10.5.0.5/24'), second, defaultRoute]) await put(h, r);
    await settle(h.runtime, h.clock);
    await platform.network.addAddress({ linkName: 'eth0', address: '10.9.9.9/24' });

    await remove(h, second);
    await remove(h, defaultRoute);
    await settle(h.runtime, h.clock);
    const held = () => platform.network.addresses().then((as) => as.map((a) => a.address));
    expect(await held()).not.toContain('10.5.0.6/24');
    expect(await held()).toContain('10.9.9.9/24');
    expect((await platform.network.routes()).some((r) => r.gateway === '10.5.0.1')).toBe(false);
    expect((await h.state.list(AddressSpecs.kind())).map((s) => s.metadata.id)).toEqual(['eth0/10.5.0.5/24']);

    platform.faults.removeAddress({ linkName: 'eth0', address: '10.5.0.5/24' });
    await settle(h.runtime, h.clock);
    expect(await held()).toContain('10.5.0.5/24');
    expect((await h.state.get(AddressStatuses.pointer('eth0/10.9.9.9/24'))).spec.address).toBe('10.9.9.9/24');
  });

  it('should wait for a missing link and apply its address once it is plugged in', async () => {
    const { h, platform } = await boot();
    await put(h, link('eth1'));
    await put(h, address('eth1', '10.6.0.5/24'));
    await settle(h.runtime, h.clock);
    expect((await platform.network.addresses()).some((a) => a.linkName === 'eth1')).toBe(false);
    platform.faults.plugLink({ name: 'eth1' });
    await settle(h.runtime, h.clock);
    expect((await platform.network.addresses()).some((a) => a.address === '10.6.0.5/24')).toBe(true);
    expect(h.runtime.metrics().controllers['network.AddressSpecController']?.errors).toBe(0);
  });

  it('should retry a kernel error with backoff and converge', async () => {
    const { h, platform } = await boot();
    platform.faults.failNext('addAddress', 'EBUSY');
    await put(h, link('eth0'));
    await put(h, address('eth0', '10.5.0.5/24'));
    await settle(h.runtime, h.clock);
    expect((await platform.network.addresses()).some((a) => a.address === '10.5.0.5/24')).toBe(true);
    expect(h.runtime.metrics().controllers['network.AddressSpecController']?.errors).toBe(1);
  });
});
