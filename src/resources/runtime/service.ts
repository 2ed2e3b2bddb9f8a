import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/**
 * A running service (`Services.v1alpha1.talos.dev` in `runtime`, id = the service id): present
 * while the service runs, as Talos mirrors its service events.
 */
export const Services = defineResource({
  type: 'Services.v1alpha1.talos.dev',
  defaultNamespace: 'runtime',
  aliases: ['svc', 'svcs'],
  spec: z.object({
    running: z.boolean().default(false),
    healthy: z.boolean().default(false),
    /** True while no health check has answered (or the service has none). */
    unknown: z.boolean().default(true),
  }),
  printColumns: [
    { name: 'Running', jsonPath: '{.running}' },
    { name: 'Healthy', jsonPath: '{.healthy}' },
    { name: 'Health Unknown', jsonPath: '{.unknown}' },
  ],
});
/** A Service resource. */
export type Service = ResourceOf<typeof Services>;
