import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { ipSchema } from './ip.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** The id of the (single) resolver spec; `<layer>/resolvers` in `network-config`. */
export const resolverSpecId = 'resolvers';

/** The spec of the resolvers as Talos' `ResolverSpecSpec` holds it. */
export const resolverSpecSchema = z.strictObject({
  /** Name server addresses, in order. */
  dnsServers: z.array(ipSchema).default([]),
  searchDomains: z.array(z.string()).default([]),
  layer: configLayerSchema.default('default'),
});

/** `ResolverSpecs.net.talos.dev`: the DNS resolvers the node wants; id `resolvers`. */
export const ResolverSpecs = defineResource({
  type: 'ResolverSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: resolverSpecSchema,
  printColumns: [
    { name: 'Resolvers', jsonPath: '{.dnsServers}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** A `ResolverSpec` resource. */
export type ResolverSpec = ResourceOf<typeof ResolverSpecs>;
/** The spec of a `ResolverSpec`. */
export type ResolverSpecSpec = z.output<typeof resolverSpecSchema>;
