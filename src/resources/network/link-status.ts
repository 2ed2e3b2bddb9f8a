import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** What the kernel reports of one link (`LinkStatuses.net.talos.dev`, id = link name). */
export const LinkStatuses = defineResource({
  type: 'LinkStatuses.net.talos.dev',
  defaultNamespace: 'network',
  aliases: ['link', 'links'],
  spec: z.object({
    index: z.number().int().default(0),
    /** Link type: `ether`, `loopback`, ... */
    type: z.string().default('ether'),
    /** Index of the parent link (VLAN), 0 when none. */
    linkIndex: z.number().int().default(0),
    /** Admin flags as the kernel names them (`UP`, `BROADCAST`, ...). */
    flags: z.array(z.string()).default([]),
    hardwareAddr: z.string().default(''),
    mtu: z.number().int().default(0),
    /** Index of the master link (bond, bridge), 0 when none. */
    masterIndex: z.number().int().default(0),
    /** `up`, `down`, `unknown`, ... */
    operationalState: z.string().default('unknown'),
    /** Logical kind (`dummy`, `vlan`, `bond`, `veth`, ...), empty for physical links. */
    kind: z.string().default(''),
    /** Carrier. */
    linkState: z.boolean().default(false),
    vlan: z.object({ vlanID: z.number().int().default(0) }).default({ vlanID: 0 }),
  }),
  printColumns: [
    { name: 'Type', jsonPath: '{.type}' },
    { name: 'Kind', jsonPath: '{.kind}' },
    { name: 'Hw Addr', jsonPath: '{.hardwareAddr}' },
    { name: 'Oper State', jsonPath: '{.operationalState}' },
    { name: 'Link State', jsonPath: '{.linkState}' },
  ],
});
/** A LinkStatus resource. */
export type LinkStatus = ResourceOf<typeof LinkStatuses>;

/** Whether a link is physical as Talos decides it: an ethernet link with no logical kind. */
export function isPhysicalLink(spec: LinkStatus['spec']): boolean {
  return spec.type === 'ether' && spec.kind === '';
}

/** Whether a link is up for address purposes: operational state up or unknown (as for loopback/dummy). */
export function isLinkUp(spec: LinkStatus['spec']): boolean {
  return spec.operationalState === 'up' || (spec.operationalState === 'unknown' && spec.flags.includes('UP'));
}
