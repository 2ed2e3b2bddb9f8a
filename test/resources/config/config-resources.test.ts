import { describe, expect, it } from 'vitest';
import {
  activeMachineConfigId,
  MachineConfigs,
  MachineTypes,
  machineTypeId,
  persistentMachineConfigId,
} from '../../../src/resources/config/index.js';

describe('config resources', () => {
  it('should keep Talos names and ids', () => {
    expect(MachineConfigs.type).toBe('MachineConfigs.config.talos.dev');
    expect(MachineConfigs.defaultNamespace).toBe('config');
    expect(MachineConfigs.sensitive).toBe(true);
    expect(MachineConfigs.aliases).toContain('mc');
    expect([activeMachineConfigId, persistentMachineConfigId]).toEqual(['v1alpha1', 'persistent']);
    expect(MachineTypes.type).toBe('MachineTypes.config.talos.dev');
    expect(machineTypeId).toBe('machine-type');
    expect(MachineTypes.make(machineTypeId, {}).spec.machineType).toBe('unknown');
  });

  it('should fill the defaults of a minimal config', () => {
    const mc = MachineConfigs.make(activeMachineConfigId, {
      version: 'v1alpha1',
      machine: { type: 'worker' },
    });
    expect(mc.spec.machine.network.interfaces).toEqual([]);
    expect(mc.spec.cluster.network.serviceSubnets).toEqual(['10.96.0.0/12']);
    expect(mc.spec.machine.time).toEqual({ servers: [], disabled: false });
  });
});
