import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { ipOrEmptySchema, ipSchema, prefixOrEmptySchema, prefixSchema } from './ip.js';
import { networkNamespace } from './layer.js';

/** The id of the platform configuration in force. */
export const activePlatformConfigId = 'active';

/**
 * The network configuration a platform (cloud or hypervisor metadata) hands the node, for the
 * `platform` layer: the JSON shape of a platform metadata file. Strict.
 */
export const platformConfigSchema = z.strictObject({
  /** The hostname, possibly an FQDN. */
  hostname: z.string().default(''),
  links: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        up: z.boolean().default(true),
        mtu: z.number().int().min(0).max(65_535).default(0),
      }),
    )
    .default([]),
  addresses: z.array(z.strictObject({ linkName: z.string().min(1), address: prefixSchema })).default([]),
  routes: z
    .array(
      z.strictObject({
        /** '' (or absent) = the default route. */
        network: prefixOrEmptySchema.default(''),
        gateway: ipOrEmptySchema.default(''),
        linkName: z.string().default(''),
        metric: z.number().int().nonnegative().optional(),
      }),
    )
    .default([]),
  resolvers: z.array(ipSchema).default([]),
  searchDomains: z.array(z.string().min(1)).default([]),
  timeServers: z.array(z.string().min(1)).default([]),
  /** Links to run DHCPv4 on. */
  dhcp: z.array(z.string().min(1)).default([]),
  /** Addresses the platform routes to this node from outside (cloud public IPs). */
  externalIPs: z.array(ipSchema).default([]),
});

/** A parsed platform configuration. */
export type PlatformConfigSpec = z.output<typeof platformConfigSchema>;

/** `PlatformConfigs.net.talos.dev/active`: the platform's network configuration (the `platform` layer). */
export const PlatformConfigs = defineResource({
  type: 'PlatformConfigs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: platformConfigSchema,
});
/** A `PlatformConfig` resource. */
export type PlatformConfig = ResourceOf<typeof PlatformConfigs>;
