import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { type AddressFamily, addressFamilySchema, ipOrEmptySchema, prefixOrEmptySchema } from './ip.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** The metric Talos gives routes nobody gave one (and DHCP routes by default). */
export const defaultRouteMetric = 1024;

/** The spec of a route as Talos' `RouteSpecSpec` holds it (its YAML names: `dst`, `src`). */
export const routeSpecSchema = z.strictObject({
  family: addressFamilySchema,
  /** The destination prefix; '' = the default route. */
  dst: prefixOrEmptySchema.default(''),
  /** The preferred source address; '' = none. */
  src: ipOrEmptySchema.default(''),
  /** The gateway; '' = a directly connected route. */
  gateway: ipOrEmptySchema.default(''),
  /** The link to send through; '' = whichever reaches the gateway. */
  outLinkName: z.string().default(''),
  /** The routing table (`main`, `local`, or a number). */
  table: z.string().default('main'),
  /** The metric. */
  priority: z.number().int().nonnegative().default(0),
  scope: z.enum(['global', 'site', 'link', 'host', 'nowhere']).default('global'),
  type: z.enum(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit']).default('unicast'),
  flags: z.array(z.string()).default([]),
  protocol: z.enum(['unspec', 'redirect', 'kernel', 'boot', 'static', 'dhcp', 'ra']).default('static'),
  mtu: z.number().int().nonnegative().default(0),
  layer: configLayerSchema.default('default'),
});

/** The fields of a route that make its natural id. */
export interface RouteIdFields {
  readonly family: AddressFamily;
  readonly dst: string;
  readonly gateway: string;
  readonly priority: number;
  readonly table?: string;
  readonly outLinkName?: string;
}

/**
 * The natural id of a route, as Talos' `RouteID`: `[<table>/][<link>/ for inet6]<family>/<gw>/<dst>/<priority>`,
 * e.g. `inet4/10.0.0.1//1024` for a default route.
 */
export function routeId(route: RouteIdFields): string {
  let prefix = '';
  if (route.table !== undefined && route.table !== '' && route.table !== 'main') prefix = `${route.table}/`;
  if (route.family === 'inet6' && route.outLinkName !== undefined && route.outLinkName !== '') {
    prefix += `${route.outLinkName}/`;
  }
  return `${prefix}${route.family}/${route.gateway}/${route.dst}/${route.priority}`;
}

/**
 * `RouteSpecs.net.talos.dev`: a route the node wants. Id from {@link routeId}, prefixed by the layer
 * (or operator id) in `network-config`.
 */
export const RouteSpecs = defineResource({
  type: 'RouteSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: routeSpecSchema,
  printColumns: [
    { name: 'Destination', jsonPath: '{.dst}' },
    { name: 'Gateway', jsonPath: '{.gateway}' },
    { name: 'Link', jsonPath: '{.outLinkName}' },
    { name: 'Metric', jsonPath: '{.priority}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** A `RouteSpec` resource. */
export type RouteSpec = ResourceOf<typeof RouteSpecs>;
/** The spec of a `RouteSpec`. */
export type RouteSpecSpec = z.output<typeof routeSpecSchema>;
