import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The node's time sync state (`TimeStatuses.v1alpha1.talos.dev/node` in `runtime`). */
export const TimeStatuses = defineResource({
  type: 'TimeStatuses.v1alpha1.talos.dev',
  defaultNamespace: 'runtime',
  spec: z.object({
    synced: z.boolean().default(false),
    /** Bumped whenever the clock jumps, so certificate holders can react. */
    epoch: z.number().int().default(0),
    syncDisabled: z.boolean().default(false),
  }),
  printColumns: [
    { name: 'Synced', jsonPath: '{.synced}' },
    { name: 'Epoch', jsonPath: '{.epoch}' },
  ],
});
/** A TimeStatus resource. */
export type TimeStatus = ResourceOf<typeof TimeStatuses>;

/** The id of the one TimeStatus. */
export const timeStatusId = 'node';
