import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The time servers the node syncs with (`TimeServerStatuses.net.talos.dev/timeservers`). */
export const TimeServerStatuses = defineResource({
  type: 'TimeServerStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['timeserver', 'timeservers'],
  spec: z.object({
    timeServers: z.array(z.string()).default([]),
  }),
  printColumns: [{ name: 'Timeservers', jsonPath: '{.timeServers}' }],
});
/** A TimeServerStatus resource. */
export type TimeServerStatus = ResourceOf<typeof TimeServerStatuses>;
