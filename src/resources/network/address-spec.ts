import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { addressFamilySchema, prefixSchema } from './ip.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** The spec of an address as Talos' `AddressSpecSpec` holds it. */
export const addressSpecSchema = z.strictObject({
  /** The address with its prefix length, `10.0.0.5/24`. */
  address: prefixSchema,
  linkName: z.string().min(1),
  family: addressFamilySchema,
  scope: z.enum(['global', 'site', 'link', 'host', 'nowhere']).default('global'),
  /** Address flags (`permanent`, ...). */
  flags: z.array(z.string()).default([]),
  /** Announce with gratuitous ARP when added (shared VIPs). */
  announceWithARP: z.boolean().default(false),
  priority: z.number().int().nonnegative().default(0),
  layer: configLayerSchema.default('default'),
});

/** The natural id of an address: `<link>/<address>`, e.g. `eth0/10.0.0.5/24` (Talos' `AddressID`). */
export function addressId(linkName: string, address: string): string {
  return `${linkName}/${address}`;
}

/**
 * `AddressSpecs.net.talos.dev`: an address the node wants on a link. Id `<link>/<address>`, prefixed
 * by the layer (or operator id) in `network-config`.
 */
export const AddressSpecs = defineResource({
  type: 'AddressSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: addressSpecSchema,
  printColumns: [
    { name: 'Address', jsonPath: '{.address}' },
    { name: 'Link', jsonPath: '{.linkName}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** An `AddressSpec` resource. */
export type AddressSpec = ResourceOf<typeof AddressSpecs>;
/** The spec of an `AddressSpec`. */
export type AddressSpecSpec = z.output<typeof addressSpecSchema>;
