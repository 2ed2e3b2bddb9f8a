import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** Bond slave settings of a link: the bond it belongs to and its position there. */
const bondSlaveSchema = z.strictObject({
  masterName: z.string().default(''),
  slaveIndex: z.number().int().nonnegative().default(0),
});

/** VLAN settings of a `vlan` link (its parent is `parentName`). */
const vlanSchema = z.strictObject({
  vid: z.number().int().min(0).max(4094).default(0),
  protocol: z.enum(['802.1q', '802.1ad']).default('802.1q'),
});

/** Bond master settings of a `bond` link; replaced wholesale by a higher layer that sets them. */
const bondMasterSchema = z.strictObject({
  mode: z.string().default(''),
  miimon: z.number().int().nonnegative().default(0),
  lacpRate: z.string().default(''),
  xmitHashPolicy: z.string().default(''),
});

/** The spec of a link as Talos' `LinkSpecSpec` holds it (its YAML names). */
export const linkSpecSchema = z.strictObject({
  /** The kernel link name. */
  name: z.string().min(1),
  /** A link the node creates (bond, vlan, dummy, ...) rather than a physical one. */
  logical: z.boolean().default(false),
  /** Administratively up. */
  up: z.boolean().default(false),
  /** 0 = leave the kernel's MTU. */
  mtu: z.number().int().nonnegative().default(0),
  /** The kind of a logical link (`vlan`, `bond`, `dummy`, ...); '' for a physical one. */
  kind: z.string().default(''),
  /** The link type (`ether`, `loopback`, ...); '' when unknown. */
  type: z.string().default(''),
  hardwareAddr: z.string().default(''),
  /** The parent of a vlan link. */
  parentName: z.string().default(''),
  bondSlave: bondSlaveSchema.default({ masterName: '', slaveIndex: 0 }),
  vlan: vlanSchema.default({ vid: 0, protocol: '802.1q' }),
  bondMaster: bondMasterSchema.default({ mode: '', miimon: 0, lacpRate: '', xmitHashPolicy: '' }),
  layer: configLayerSchema.default('default'),
});

/**
 * `LinkSpecs.net.talos.dev`: the desired state of a link. In `network-config` one per layer with
 * id `<layer>/<link>`; merged in `network` with id `<link>`.
 */
export const LinkSpecs = defineResource({
  type: 'LinkSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: linkSpecSchema,
  printColumns: [
    { name: 'Up', jsonPath: '{.up}' },
    { name: 'Kind', jsonPath: '{.kind}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** A `LinkSpec` resource. */
export type LinkSpec = ResourceOf<typeof LinkSpecs>;
/** The spec of a `LinkSpec`. */
export type LinkSpecSpec = z.output<typeof linkSpecSchema>;
