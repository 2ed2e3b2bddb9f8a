import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { addressFamilySchema } from './ip.js';

/** A route the kernel holds (`RouteStatuses.net.talos.dev`, id as RouteSpec's). */
export const RouteStatuses = defineResource({
  type: 'RouteStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['route', 'routes'],
  spec: z.object({
    family: addressFamilySchema,
    /** Destination prefix; empty for the default route. */
    dst: z.string().default(''),
    src: z.string().default(''),
    gateway: z.string().default(''),
    outLinkIndex: z.number().int().default(0),
    outLinkName: z.string().default(''),
    table: z.string().default('main'),
    priority: z.number().int().default(0),
    scope: z.string().default('global'),
    type: z.string().default('unicast'),
    protocol: z.string().default('static'),
  }),
  printColumns: [
    { name: 'Destination', jsonPath: '{.dst}' },
    { name: 'Gateway', jsonPath: '{.gateway}' },
    { name: 'Link', jsonPath: '{.outLinkName}' },
    { name: 'Metric', jsonPath: '{.priority}' },
  ],
});
/** A RouteStatus resource. */
export type RouteStatus = ResourceOf<typeof RouteStatuses>;
