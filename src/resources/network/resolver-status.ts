import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The resolvers applied to the node (`ResolverStatuses.net.talos.dev/resolvers`). */
export const ResolverStatuses = defineResource({
  type: 'ResolverStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['resolvers'],
  spec: z.object({
    dnsServers: z.array(z.string()).default([]),
    searchDomains: z.array(z.string()).default([]),
  }),
  printColumns: [{ name: 'Resolvers', jsonPath: '{.dnsServers}' }],
});
/** A ResolverStatus resource. */
export type ResolverStatus = ResourceOf<typeof ResolverStatuses>;
