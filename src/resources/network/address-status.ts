import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { addressFamilySchema } from './ip.js';

/** An address the kernel holds (`AddressStatuses.net.talos.dev`, id `<link>/<prefix>`). */
export const AddressStatuses = defineResource({
  type: 'AddressStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['address', 'addresses'],
  spec: z.object({
    /** The prefix, e.g. `10.0.0.5/24`. */
    address: z.string(),
    local: z.string().default(''),
    broadcast: z.string().default(''),
    linkIndex: z.number().int().default(0),
    linkName: z.string(),
    family: addressFamilySchema,
    /** `global`, `link`, `host`, ... */
    scope: z.string().default('global'),
    flags: z.array(z.string()).default([]),
    priority: z.number().int().default(0),
  }),
  printColumns: [
    { name: 'Address', jsonPath: '{.address}' },
    { name: 'Link', jsonPath: '{.linkName}' },
  ],
});
/** An AddressStatus resource. */
export type AddressStatus = ResourceOf<typeof AddressStatuses>;
