import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { networkDeviceSchema } from '../config/v1alpha1-network.js';
import { networkNamespace } from './layer.js';

/** The spec of a device config: one `machine.network.interfaces` entry with its selector resolved. */
export const deviceConfigSpecSchema = z.strictObject({
  /** The entry, its `interface` set to the link the selector (if any) matched. */
  device: networkDeviceSchema,
  /** Its position in `machine.network.interfaces`. */
  index: z.number().int().nonnegative(),
});

/** The id of a device config: `<interface>/<index, three digits>`, e.g. `eth0/000` (as Talos). */
export function deviceConfigId(interfaceName: string, index: number): string {
  return `${interfaceName}/${String(index).padStart(3, '0')}`;
}

/** `DeviceConfigSpecs.net.talos.dev`: a configured network device, its link name resolved. */
export const DeviceConfigSpecs = defineResource({
  type: 'DeviceConfigSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: deviceConfigSpecSchema,
});
/** A `DeviceConfigSpec` resource. */
export type DeviceConfigSpec = ResourceOf<typeof DeviceConfigSpecs>;
