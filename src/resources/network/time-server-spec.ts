import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** The id of the (single) time server spec; `<layer>/timeservers` in `network-config`. */
export const timeServerSpecId = 'timeservers';

/** The spec of the time servers as Talos' `TimeServerSpecSpec` holds it. */
export const timeServerSpecSchema = z.strictObject({
  /** NTP servers (names or addresses), in order. */
  timeServers: z.array(z.string().min(1)).default([]),
  /** Use NTS (merged: only if every contributing spec asks for it). */
  useNTS: z.boolean().default(false),
  layer: configLayerSchema.default('default'),
});

/** `TimeServerSpecs.net.talos.dev`: the NTP servers the node wants; id `timeservers`. */
export const TimeServerSpecs = defineResource({
  type: 'TimeServerSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: timeServerSpecSchema,
  printColumns: [
    { name: 'Timeservers', jsonPath: '{.timeServers}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** A `TimeServerSpec` resource. */
export type TimeServerSpec = ResourceOf<typeof TimeServerSpecs>;
/** The spec of a `TimeServerSpec`. */
export type TimeServerSpecSpec = z.output<typeof timeServerSpecSchema>;
