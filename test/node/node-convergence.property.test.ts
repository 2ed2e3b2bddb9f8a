import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MachineConfigs } from '../../src/node/index.js';
import { configControllers, nodeControllers } from '../../src/node/node-controllers.js';
import { createSimulatedPlatform } from '../../src/platform/simulated/create-simulated-platform.js';
import { checkConvergence, type Simulation } from '../../src/testing/index.js';
import { type FaultyMachine, faultyNetwork } from './faulty-platform.js';
import { simulatedNodeControllers, temporaryStateDir } from './helpers.js';

const stateDir = temporaryStateDir();

let machine: FaultyMachine | undefined;

function controllers(sim: Simulation) {
  if (machine?.sim !== sim) {
    const platform = createSimulatedPlatform({
      clock: sim.clock,
      seed: 1,
      links: [{ name: 'eth0', dhcp: { subnet: '10.0.0.0/24', router: '10.0.0.1' } }],
    });
    machine = { sim, platform, faults: 6 };
  }
  const platform = { ...machine.platform, network: faultyNetwork(machine) };
  return [
    ...configControllers(),
    ...simulatedNodeControllers(nodeControllers(platform, { stateDir: stateDir() })),
  ];
}

const pool = ['10.0.0.50/24', '10.0.0.51/24', '10.0.0.52/24'];
const routePool = ['10.80.0.0/16', '10.81.0.0/16'];

/** A machine config: eth0 static (some addresses and routes), eth0 on DHCP, or nothing said of eth0. */
const config = fc.oneof(
  fc
    .record({ addresses: fc.subarray(pool), routes: fc.subarray(routePool) })
    .map(({ addresses, routes }) => ({ eth0: 'static' as const, addresses, routes })),
  fc.constant({ eth0: 'dhcp' as const, addresses: [], routes: [] }),
  fc.constant({ eth0: 'absent' as const, addresses: [], routes: [] }),
);

const machineConfig = config.map((c) => ({
  version: 'v1alpha1',
  machine: {
    type: 'worker',
    network: {
      interfaces:
        c.eth0 === 'absent'
          ? []
          : [
              c.eth0 === 'dhcp'
                ? { interface: 'eth0', dhcp: true }
                : {
                    interface: 'eth0',
                    addresses: c.addresses,
                    routes: c.routes.map((network) => ({ network, gateway: '10.0.0.1' })),
                  },
            ],
    },
  },
}));

describe('a node: convergence from machine config edits', () => {
  it('should bring the kernel to what the last config asks, through store and platform faults', async () => {
    await checkConvergence({
      controllers,
      inputs: [MachineConfigs],
      outputs: [],
      commands: {
        ids: ['v1alpha1'],
        specs: new Map([[MachineConfigs as never, machineConfig as fc.Arbitrary<unknown>]]),
        maxCommands: 6,
        weights: { create: 3, update: 4, teardown: 0, destroy: 1, finalizers: 0 },
      },
      faults: { reconcileThrows: 0.03, callFails: 0.02, crash: 0.01, writeConflict: 0.03 },
      numRuns: 12,
      async check(_sim, model) {
        const platform = machine?.platform;
        if (platform === undefined) throw new Error('no machine');
        const active = model.list(MachineConfigs).find((c) => c.metadata.phase === 'running');
        const device = active?.spec.machine.network.interfaces.find((d) => d.interface === 'eth0');
        const held = (await platform.network.addresses())
          .filter((a) => a.linkName === 'eth0' && a.scope === 'global')
          .map((a) => a.address)
          .sort();
        const routes = (await platform.network.routes()).filter((r) => r.destination.startsWith('10.8'));
        if (device === undefined || device.dhcp) {
          // Unconfigured (default DHCP) or DHCP asked for: the lease is the one address.
          expect(platform.dhcp.clients()).toEqual(['eth0']);
          expect(held).toEqual([platform.dhcp.lease('eth0')?.address]);
          expect(routes).toEqual([]);
        } else {
          expect(platform.dhcp.clients()).toEqual([]);
          expect(held).toEqual([...device.addresses].sort());
          const wanted = device.addresses.length === 0 ? [] : device.routes.map((r) => r.network);
          expect(routes.map((r) => r.destination).sort()).toEqual([...wanted].sort());
        }
      },
    });
  }, 300_000);
});
