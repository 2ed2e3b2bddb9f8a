import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The hostname applied to the node (`HostnameStatuses.net.talos.dev/hostname`). */
export const HostnameStatuses = defineResource({
  type: 'HostnameStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['hostname'],
  spec: z.object({
    hostname: z.string(),
    domainname: z.string().default(''),
  }),
  printColumns: [
    { name: 'Hostname', jsonPath: '{.hostname}' },
    { name: 'Domainname', jsonPath: '{.domainname}' },
  ],
});
/** A HostnameStatus resource. */
export type HostnameStatus = ResourceOf<typeof HostnameStatuses>;

/** The fully qualified name: `hostname.domainname`, or the hostname alone. */
export function fqdn(spec: HostnameStatus['spec']): string {
  return spec.domainname === '' ? spec.hostname : `${spec.hostname}.${spec.domainname}`;
}
