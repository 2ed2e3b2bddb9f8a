import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { k8sNamespace } from './namespace.js';

/**
 * `KubeletConfigs.kubernetes.talos.dev/kubelet`: the kubelet's settings taken from the machine
 * config (`machine.kubelet`, the cluster's DNS domain and service addresses).
 */
export const KubeletConfigs = defineResource({
  type: 'KubeletConfigs.kubernetes.talos.dev',
  defaultNamespace: k8sNamespace,
  spec: z.object({
    image: z.string().default(''),
    /** The cluster DNS service addresses: the tenth address of each service subnet. */
    clusterDNS: z.array(z.string()).default([]),
    clusterDomain: z.string().default('cluster.local'),
    extraArgs: z.record(z.string(), z.string()).default({}),
    /** Merged over the KubeletConfiguration the node builds (protected fields refused). */
    extraConfig: z.record(z.string(), z.unknown()).default({}),
    skipNodeRegistration: z.boolean().default(false),
  }),
  printColumns: [{ name: 'Image', jsonPath: '{.image}' }],
});
/** A KubeletConfig resource. */
export type KubeletConfig = ResourceOf<typeof KubeletConfigs>;
