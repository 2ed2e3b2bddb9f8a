import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { configNamespace } from './machine-config.js';
import { machineTypes } from './v1alpha1.js';

/** The id of the (single) machine type resource. */
export const machineTypeId = 'machine-type';

/** The spec of the machine type: `unknown` until a configuration names one. */
export const machineTypeSchema = z.strictObject({
  machineType: z.enum([...machineTypes, 'unknown']).default('unknown'),
});

/** `MachineTypes.config.talos.dev/machine-type`: the type of this machine (from its configuration). */
export const MachineTypes = defineResource({
  type: 'MachineTypes.config.talos.dev',
  defaultNamespace: configNamespace,
  spec: machineTypeSchema,
  printColumns: [{ name: 'Type', jsonPath: '{.machineType}' }],
});
/** A `MachineType` resource. */
export type MachineType = ResourceOf<typeof MachineTypes>;

/** Whether a machine type runs the control plane (etcd, API server). */
export function isControlPlane(type: z.output<typeof machineTypeSchema>['machineType']): boolean {
  return type === 'init' || type === 'controlplane';
}
