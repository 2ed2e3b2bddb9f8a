import { afterEach, describe, expect, it } from 'vitest';
import { machineTypeController } from '../../../src/controllers/config/index.js';
import {
  activeMachineConfigId,
  MachineConfigs,
  MachineTypes,
  machineTypeId,
} from '../../../src/resources/config/index.js';
import { applyConfig, type NetHarness, startHarness } from '../network/helpers.js';

let h: NetHarness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

describe('config.MachineTypeController', () => {
  it('should follow machine.type, unknown without a config', async () => {
    h = await startHarness([machineTypeController()]);
    const { state, runtime } = h;
    await runtime.settled();
    const type = async () => (await state.get(MachineTypes.pointer(machineTypeId))).spec.machineType;
    expect(await type()).toBe('unknown');
    await applyConfig(state, 'version: v1alpha1\nmachine:\n  type: controlplane\n');
    await runtime.settled();
    expect(await type()).toBe('controlplane');
    await state.teardownAndDestroy(MachineConfigs.pointer(activeMachineConfigId));
    await runtime.settled();
    expect(await type()).toBe('unknown');
  });
});
