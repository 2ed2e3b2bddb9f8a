import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The network's readiness (`NetworkStatuses.net.talos.dev/status`). */
export const NetworkStatuses = defineResource({
  type: 'NetworkStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['netstatus', 'netstatuses'],
  spec: z.object({
    addressReady: z.boolean().default(false),
    connectivityReady: z.boolean().default(false),
    hostnameReady: z.boolean().default(false),
    etcFilesReady: z.boolean().default(false),
  }),
  printColumns: [
    { name: 'Address', jsonPath: '{.addressReady}' },
    { name: 'Connectivity', jsonPath: '{.connectivityReady}' },
    { name: 'Hostname', jsonPath: '{.hostnameReady}' },
    { name: 'Etc', jsonPath: '{.etcFilesReady}' },
  ],
});
/** A NetworkStatus resource. */
export type NetworkStatus = ResourceOf<typeof NetworkStatuses>;

/** The id of the one NetworkStatus. */
export const networkStatusId = 'status';
