import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { k8sNamespace } from './namespace.js';

/**
 * `KubeletStatuses.kubernetes.talos.dev/kubelet`: what the running kubelet was started from,
 * written by the kubelet service each time it starts the process.
 */
export const KubeletStatuses = defineResource({
  type: 'KubeletStatuses.kubernetes.talos.dev',
  defaultNamespace: k8sNamespace,
  spec: z.object({
    image: z.string().default(''),
    nodename: z.string().default(''),
    /** A digest of the KubeletSpec and kubelet secrets it started with: a different one means restart. */
    inputsDigest: z.string().default(''),
  }),
  printColumns: [
    { name: 'Image', jsonPath: '{.image}' },
    { name: 'Nodename', jsonPath: '{.nodename}' },
  ],
});
/** A KubeletStatus resource. */
export type KubeletStatus = ResourceOf<typeof KubeletStatuses>;
