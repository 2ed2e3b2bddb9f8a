import type { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { v1alpha1ConfigSchema } from './v1alpha1.js';

/** The namespace of configuration resources. */
export const configNamespace = 'config';
/** The id of the active machine configuration: what controllers run on. */
export const activeMachineConfigId = 'v1alpha1';
/** The id of the persisted machine configuration: what the next boot loads. */
export const persistentMachineConfigId = 'persistent';

/**
 * `MachineConfigs.config.talos.dev`: the machine configuration. Id `v1alpha1` is the active one,
 * `persistent` the one the next boot loads. Sensitive (it holds keys and tokens).
 */
export const MachineConfigs = defineResource({
  type: 'MachineConfigs.config.talos.dev',
  defaultNamespace: configNamespace,
  spec: v1alpha1ConfigSchema,
  aliases: ['machineconfig', 'mc'],
  sensitive: true,
});
/** A `MachineConfig` resource. */
export type MachineConfig = ResourceOf<typeof MachineConfigs>;
/** The spec of a `MachineConfig`: a parsed v1alpha1 document. */
export type MachineConfigSpec = z.output<typeof v1alpha1ConfigSchema>;
