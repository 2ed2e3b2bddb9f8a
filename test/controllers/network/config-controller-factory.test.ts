import { afterEach, describe, expect, it } from 'vitest';
import { defineNetworkConfigController } from '../../../src/controllers/network/config-controller-factory.js';
import { input } from '../../../src/index.js';
import { parseCmdlineNetwork } from '../../../src/resources/config/cmdline.js';
import { MachineConfigs } from '../../../src/resources/config/machine-config.js';
import {
  DeviceConfigSpecs,
  HostnameStatuses,
  PlatformConfigs,
  TimeServerSpecs,
} from '../../../src/resources/network/index.js';
import { layeredId, networkConfigNamespace } from '../../../src/resources/network/layer.js';
import { type NetHarness, specs, startHarness } from './helpers.js';

let h: NetHarness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

/** One TimeServerSpec per platform time server (all under one id when `sameId`), plus the cmdline's. */
function timeServers(namespace = networkConfigNamespace, sameId = false) {
  return defineNetworkConfigController({
    name: 'test.TimeServerConfigController',
    definition: TimeServerSpecs,
    sources: ['platform'],
    namespace,
    async specs({ cmdline, platform }) {
      const servers = [...cmdline.timeServers, ...(platform?.timeServers ?? [])];
      return servers.map((server) =>
        TimeServerSpecs.make(
          layeredId('platform', sameId ? 'one' : server),
          { timeServers: [server], layer: 'platform' },
          { namespace },
        ),
      );
    },
  });
}

describe('defineNetworkConfigController', () => {
  it('should declare the sources as weak inputs in a fixed order, then its own inputs', () => {
    const controller = defineNetworkConfigController({
      name: 'test.Inputs',
      definition: TimeServerSpecs,
      sources: ['devices', 'machineConfig'],
      inputs: [input.weak(HostnameStatuses)],
      output: 'exclusive',
      async specs() {
        return [];
      },
    })();
    expect(controller.name).toBe('test.Inputs');
    expect(controller.inputs.map((i) => [i.type, i.kind])).toEqual([
      [MachineConfigs.type, 'weak'],
      [DeviceConfigSpecs.type, 'weak'],
      [HostnameStatuses.type, 'weak'],
    ]);
    expect(controller.outputs.map((o) => [o.type, o.kind])).toEqual([[TimeServerSpecs.type, 'exclusive']]);
  });

  it('should hide the sources a controller did not declare (checked by the type checker)', () => {
    defineNetworkConfigController({
      name: 'test.Undeclared',
      definition: TimeServerSpecs,
      sources: ['platform'],
      async specs(sources) {
        // @ts-expect-error machineConfig is not a declared source
        void sources.machineConfig;
        return [];
      },
    });
  });

  it('should write the wanted specs and remove the ones no longer wanted', async () => {
    h = await startHarness([timeServers()({ cmdline: parseCmdlineNetwork('ip=:::::::::10.0.0.9') })]);
    const { state, runtime } = h;
    await state.create(PlatformConfigs.make('active', { timeServers: ['a.ntp', 'b.ntp'] }));
    await runtime.settled();
    expect(Object.keys(await specs(state, TimeServerSpecs, networkConfigNamespace))).toEqual([
      'platform/10.0.0.9',
      'platform/a.ntp',
      'platform/b.ntp',
    ]);
    await state.modify(PlatformConfigs.make('active', {}), (d) => {
      d.spec.timeServers = ['b.ntp'];
    });
    await runtime.settled();
    expect(Object.keys(await specs(state, TimeServerSpecs, networkConfigNamespace))).toEqual([
      'platform/10.0.0.9',
      'platform/b.ntp',
    ]);
  });

  it('should keep the later of two specs with the same id, in the namespace it was given', async () => {
    h = await startHarness([timeServers('elsewhere', true)()]);
    const { state, runtime } = h;
    await state.create(PlatformConfigs.make('active', { timeServers: ['a.ntp', 'b.ntp'] }));
    await runtime.settled();
    expect(await specs(state, TimeServerSpecs, 'elsewhere')).toEqual({
      'platform/one': expect.objectContaining({ timeServers: ['b.ntp'] }),
    });
    await state.modify(PlatformConfigs.make('active', {}), (d) => {
      d.spec.timeServers = [];
    });
    await runtime.settled();
    expect(await specs(state, TimeServerSpecs, 'elsewhere')).toEqual({});
  });
});
