import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { MachineTypes, machineTypeId } from '../../resources/config/machine-type.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { isNotFoundError } from '../../runtime/errors.js';

/**
 * `config.MachineTypeController`: `MachineType/machine-type` from the active machine config's
 * `machine.type`; `unknown` while the node has no config.
 */
export function machineTypeController(): ControllerDefinition {
  return defineController({
    name: 'config.MachineTypeController',
    inputs: [input.weak(MachineConfigs, { id: activeMachineConfigId })],
    outputs: [output.exclusive(MachineTypes)],
    async reconcile(ctx) {
      let machineType: 'init' | 'controlplane' | 'worker' | 'unknown' = 'unknown';
      try {
        const config = await ctx.get(MachineConfigs.pointer(activeMachineConfigId));
        if (config.metadata.phase === 'running') machineType = config.spec.machine.type;
      } catch (error) {
        if (!isNotFoundError(error)) throw error;
      }
      const desired = MachineTypes.make(machineTypeId, { machineType });
      await ctx.modify(desired, (draft) => {
        draft.spec = desired.spec;
      });
    },
  });
}
