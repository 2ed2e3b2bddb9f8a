import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { k8sNamespace } from './namespace.js';

/** `NodeIPs.kubernetes.talos.dev/kubelet`: the kubelet's node IPs, at most one per family. */
export const NodeIPs = defineResource({
  type: 'NodeIPs.kubernetes.talos.dev',
  defaultNamespace: k8sNamespace,
  spec: z.object({
    /** Bare addresses (`10.0.0.5`), IPv4 first. */
    addresses: z.array(z.string()).default([]),
  }),
  printColumns: [{ name: 'Addresses', jsonPath: '{.addresses}' }],
});
/** A NodeIP resource. */
export type NodeIP = ResourceOf<typeof NodeIPs>;
