import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { k8sNamespace } from './namespace.js';

/**
 * `KubeletSpecs.kubernetes.talos.dev/kubelet`: exactly how the kubelet runs: its image, its
 * command-line arguments and its KubeletConfiguration document (as a map). Any change restarts it.
 */
export const KubeletSpecs = defineResource({
  type: 'KubeletSpecs.kubernetes.talos.dev',
  defaultNamespace: k8sNamespace,
  spec: z.object({
    image: z.string().default(''),
    /** `--name=value`, sorted by name. */
    args: z.array(z.string()).default([]),
    expectedNodename: z.string().default(''),
    /** The `kubelet.config.k8s.io/v1beta1` KubeletConfiguration. */
    config: z.record(z.string(), z.unknown()).default({}),
  }),
  printColumns: [
    { name: 'Image', jsonPath: '{.image}' },
    { name: 'Nodename', jsonPath: '{.expectedNodename}' },
  ],
});
/** A KubeletSpec resource. */
export type KubeletSpec = ResourceOf<typeof KubeletSpecs>;
