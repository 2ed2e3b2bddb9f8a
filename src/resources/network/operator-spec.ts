import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { configLayerSchema, networkNamespace } from './layer.js';

/** The operators Talos runs: DHCPv4, DHCPv6 and the shared virtual IP. */
export const operatorKinds = ['dhcp4', 'dhcp6', 'vip'] as const;
/** One operator kind. */
export type OperatorKind = (typeof operatorKinds)[number];

const dhcp4Schema = z.strictObject({
  routeMetric: z.number().int().nonnegative().default(0),
  skipHostnameRequest: z.boolean().default(false),
  /** `mac` sends the link's hardware address as client id; `none` sends none. */
  clientIdentifier: z.enum(['mac', 'none']).default('mac'),
});

const dhcp6Schema = z.strictObject({
  routeMetric: z.number().int().nonnegative().default(0),
  skipHostnameRequest: z.boolean().default(false),
  duid: z.string().default(''),
});

const vipSchema = z.strictObject({
  ip: z.string().default(''),
  gratuitousARP: z.boolean().default(false),
});

/** The spec of an operator as Talos' `OperatorSpecSpec` holds it. */
export const operatorSpecSchema = z.strictObject({
  operator: z.enum(operatorKinds),
  linkName: z.string().min(1),
  /** Run only while the link is operationally up. */
  requireUp: z.boolean().default(false),
  dhcp4: dhcp4Schema.default({ routeMetric: 0, skipHostnameRequest: false, clientIdentifier: 'mac' }),
  dhcp6: dhcp6Schema.default({ routeMetric: 0, skipHostnameRequest: false, duid: '' }),
  vip: vipSchema.default({ ip: '', gratuitousARP: false }),
  layer: configLayerSchema.default('default'),
});

/**
 * The natural id of an operator (Talos' `OperatorID`): `dhcp4/eth0`, `dhcp6/eth0`, or for a
 * virtual IP `vip/eth0/10.0.0.10`.
 */
export function operatorId(operator: OperatorKind, linkName: string, vipIp?: string): string {
  return operator === 'vip' ? `vip/${linkName}/${vipIp ?? ''}` : `${operator}/${linkName}`;
}

/**
 * `OperatorSpecs.net.talos.dev`: an operator (DHCP client, VIP) the node wants running on a link.
 * Id from {@link operatorId}, prefixed by the layer in `network-config`.
 */
export const OperatorSpecs = defineResource({
  type: 'OperatorSpecs.net.talos.dev',
  defaultNamespace: networkNamespace,
  spec: operatorSpecSchema,
  printColumns: [
    { name: 'Operator', jsonPath: '{.operator}' },
    { name: 'Link', jsonPath: '{.linkName}' },
    { name: 'Layer', jsonPath: '{.layer}' },
  ],
});
/** An `OperatorSpec` resource. */
export type OperatorSpec = ResourceOf<typeof OperatorSpecs>;
/** The spec of an `OperatorSpec`. */
export type OperatorSpecSpec = z.output<typeof operatorSpecSchema>;
