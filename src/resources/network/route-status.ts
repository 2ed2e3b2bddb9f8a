import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { AddressFamily } from './family.js';

/** A route the kernel holds (`RouteStatuses.net.talos.dev`, id as RouteSpec's). */
export const RouteStatuses = defineResource({
  type: 'RouteStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['route', 'routes'],
  spec: z.object({
    family: AddressFamily,
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

/** What a route id is made of. */
export interface RouteKey {
  readonly family: AddressFamily;
  readonly dst: string;
  readonly gateway: string;
  readonly priority: number;
  readonly table: string;
  readonly outLinkName: string;
}

/** The id Talos gives a route: `[table/][link/ for inet6]<family>/<gateway>/<dst>/<priority>`. */
export function routeId(route: RouteKey): string {
  let id = `${route.family}/${route.gateway}/${route.dst}/${route.priority}`;
  if (route.family === 'inet6' && route.outLinkName !== '') id = `${route.outLinkName}/${id}`;
  if (route.table !== 'main' && route.table !== '') id = `${route.table}/${id}`;
  return id;
}
