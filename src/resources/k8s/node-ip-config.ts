import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { k8sNamespace } from './namespace.js';

/** `NodeIPConfigs.kubernetes.talos.dev/kubelet`: where the kubelet's node IP may come from. */
export const NodeIPConfigs = defineResource({
  type: 'NodeIPConfigs.kubernetes.talos.dev',
  defaultNamespace: k8sNamespace,
  spec: z.object({
    /** An address must lie in one of these (`0.0.0.0/0`, `::/0` when the config names none). */
    validSubnets: z.array(z.string()).default([]),
    /** ... and in none of these: pod and service subnets, shared (VIP) addresses. */
    excludeSubnets: z.array(z.string()).default([]),
  }),
  printColumns: [
    { name: 'Valid Subnets', jsonPath: '{.validSubnets}' },
    { name: 'Exclude Subnets', jsonPath: '{.excludeSubnets}' },
  ],
});
/** A NodeIPConfig resource. */
export type NodeIPConfig = ResourceOf<typeof NodeIPConfigs>;
