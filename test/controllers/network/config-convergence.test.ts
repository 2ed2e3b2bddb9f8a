import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activeMachineConfigId,
  MachineConfigs,
  type V1Alpha1ConfigInput,
} from '../../../src/resources/config/index.js';
import {
  AddressSpecs,
  addressId,
  HostnameSpecs,
  networkNamespace,
} from '../../../src/resources/network/index.js';
import type { InputModel } from '../../../src/testing/index.js';
import { checkConvergence } from '../../../src/testing/index.js';
import { configControllers, mergeControllers } from './helpers.js';

/** Small machine configs: a hostname or none, eth0/eth1 with a few addresses each. */
const configArbitrary: fc.Arbitrary<V1Alpha1ConfigInput> = fc
  .record({
    hostname: fc.option(fc.constantFrom('cp-1', 'cp-2.example.org'), { nil: undefined }),
    eth0: fc.subarray(['10.0.0.5/24', '10.0.0.6/24', 'fd00::5/64']),
    eth1: fc.subarray(['192.168.1.5/24']),
  })
  .map(({ hostname, eth0, eth1 }) => ({
    version: 'v1alpha1' as const,
    machine: {
      type: 'worker' as const,
      network: {
        ...(hostname !== undefined ? { hostname } : {}),
        interfaces: [
          { interface: 'eth0', addresses: eth0 },
          { interface: 'eth1', addresses: eth1 },
        ],
      },
    },
  }));

/** What the merged network namespace must hold for the last config: its addresses, lo's, its hostname. */
function expected(model: InputModel) {
  const config = model.list(MachineConfigs).find((c) => c.metadata.phase === 'running')?.spec;
  const out = [
    AddressSpecs.make('lo/127.0.0.1/8', {
      address: '127.0.0.1/8',
      linkName: 'lo',
      family: 'inet4',
      scope: 'host',
      flags: ['permanent'],
    }),
    AddressSpecs.make('lo/::1/128', {
      address: '::1/128',
      linkName: 'lo',
      family: 'inet6',
      scope: 'host',
      flags: ['permanent'],
    }),
  ];
  for (const device of config?.machine.network.interfaces ?? []) {
    for (const address of device.addresses) {
      const linkName = device.interface ?? '';
      out.push(
        AddressSpecs.make(addressId(linkName, address), {
          address,
          linkName,
          family: address.includes(':') ? 'inet6' : 'inet4',
          flags: ['permanent'],
          layer: 'configuration',
        }),
      );
    }
  }
  const fqdn = config?.machine.network.hostname;
  const host =
    fqdn === undefined
      ? []
      : [
          HostnameSpecs.make('hostname', {
            hostname: fqdn.split('.')[0]!,
            domainname: fqdn.split('.').slice(1).join('.'),
            layer: 'configuration',
          }),
        ];
  return [...out, ...host];
}

describe('network config and merge controllers', () => {
  it('should converge the merged addresses and hostname to the last config, under faults', async () => {
    const stats = await checkConvergence({
      controllers: () => [...configControllers(), ...mergeControllers()],
      inputs: [MachineConfigs],
      outputs: [AddressSpecs.kind(networkNamespace), HostnameSpecs.kind(networkNamespace)],
      expected,
      commands: {
        ids: [activeMachineConfigId],
        maxCommands: 8,
        specs: new Map([[MachineConfigs, configArbitrary]]),
        weights: { create: 4, update: 4, destroy: 1, teardown: 1, finalizers: 0 },
      },
      faults: {
        reconcileThrows: 0.05,
        callFails: 0.02,
        writeConflict: 0.05,
        watchOverrun: 0.02,
        crash: 0.01,
        restart: 0.01,
      },
      numRuns: 15,
    });
    expect(stats.numRuns).toBe(15);
  });
});
