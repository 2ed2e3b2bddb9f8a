import { afterEach, describe, expect, it } from 'vitest';
import type { AnyResourceDefinition } from '../../src/index.js';
import {
  AddressSpecs,
  LinkSpecs,
  OperatorSpecs,
  ResolverSpecs,
  RouteSpecs,
  TimeServerSpecs,
  TimeServerStatuses,
  TimeStatuses,
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
  platform = createSimulatedPlatform({
    clock: h.clock,
    seed: 3,
    links: [{ name: 'eth0', dhcp: { leaseTimeMs: 60_000 } }],
  });
  for (const c of nodeControllers(platform, { stateDir: stateDir() })) h.runtime.register(c);
  await h.runtime.start();
  return { h, platform };
}

const ids = async (h: ControllerHarness, def: AnyResourceDefinition) =>
  (await h.state.list({ namespace: 'network-config', type: def.type })).map((r) => r.metadata.id);

describe('DHCP operator', () => {
  it('should turn a lease into operator-layer specs, renew it, and take them away with the operator', async () => {
    const { h, platform } = await boot();
    await h.state.create(LinkSpecs.make('eth0', { name: 'eth0', up: true }));
    const op = OperatorSpecs.make('dhcp4/eth0', { operator: 'dhcp4', linkName: 'eth0', requireUp: true });
    await h.state.create(op);
    await settle(h.runtime, h.clock);

    const lease = platform.dhcp.lease('eth0');
    expect(lease).toBeDefined();
    const address = lease?.address ?? '';
    expect(await ids(h, AddressSpecs)).toEqual([`dhcp4/eth0/eth0/${address}`]);
    const spec = await h.state.get(AddressSpecs.pointer(`dhcp4/eth0/eth0/${address}`, 'network-config'));
    expect(spec.spec.layer).toBe('operator');
    expect(spec.metadata.owner).toBe('network.OperatorSpecController');
    expect(await ids(h, RouteSpecs)).toEqual([`dhcp4/eth0/inet4/${lease?.router}//1024`]);
    expect(await ids(h, ResolverSpecs)).toEqual(['dhcp4/eth0/resolvers']);

    // Renewals (lease 60 s, T1 at 30 s) keep the same specs.
    await settle(h.runtime, h.clock, 5, 30_000);
    expect(platform.dhcp.lease('eth0')?.address).toBe(address);
    expect(await ids(h, AddressSpecs)).toEqual([`dhcp4/eth0/eth0/${address}`]);

    await h.state.teardownAndDestroy(OperatorSpecs.pointer('dhcp4/eth0'));
    await settle(h.runtime, h.clock);
    expect(platform.dhcp.clients()).toEqual([]);
    expect(await ids(h, AddressSpecs)).toEqual([]);
    expect(await ids(h, RouteSpecs)).toEqual([]);
  });

  it('should drop the specs of a lease that expires', async () => {
    const { h, platform } = await boot();
    await h.state.create(LinkSpecs.make('eth0', { name: 'eth0', up: true }));
    await h.state.create(
      OperatorSpecs.make('dhcp4/eth0', { operator: 'dhcp4', linkName: 'eth0', requireUp: true }),
    );
    await settle(h.runtime, h.clock);
    expect((await ids(h, AddressSpecs)).length).toBe(1);
    platform.faults.dhcpServer('eth0', { silent: true });
    await settle(h.runtime, h.clock, 10, 10_000);
    expect(platform.dhcp.lease('eth0')).toBeUndefined();
    expect(await ids(h, AddressSpecs)).toEqual([]);
  });
});

describe('time.SyncController', () => {
  it('should sync with the time servers and bump the epoch on a jump', async () => {
    const { h, platform } = await boot();
    await h.state.create(TimeServerSpecs.make('timeservers', { timeServers: ['time.cloudflare.com'] }));
    await settle(h.runtime, h.clock, 5);
    expect((await h.state.get(TimeServerStatuses.pointer('timeservers'))).spec.timeServers).toEqual([
      'time.cloudflare.com',
    ]);
    expect(platform.time.status().servers).toEqual(['time.cloudflare.com']);
    expect((await h.state.get(TimeStatuses.pointer('node'))).spec).toEqual({
      synced: true,
      epoch: 0,
      syncDisabled: false,
    });
    platform.faults.jumpTime(30 * 60_000);
    await settle(h.runtime, h.clock, 2);
    expect((await h.state.get(TimeStatuses.pointer('node'))).spec.epoch).toBe(1);
  });
});
