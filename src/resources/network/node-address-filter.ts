import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** A subnet filter over node addresses (`NodeAddressFilters.net.talos.dev`, e.g. `no-k8s`). */
export const NodeAddressFilters = defineResource({
  type: 'NodeAddressFilters.net.talos.dev',
  defaultNamespace: 'network',
  spec: z.object({
    /** When not empty, only addresses inside one of these subnets pass. */
    includeSubnets: z.array(z.string()).default([]),
    /** Addresses inside one of these subnets never pass. */
    excludeSubnets: z.array(z.string()).default([]),
  }),
  printColumns: [
    { name: 'Include Subnets', jsonPath: '{.includeSubnets}' },
    { name: 'Exclude Subnets', jsonPath: '{.excludeSubnets}' },
  ],
});
/** A NodeAddressFilter resource. */
export type NodeAddressFilter = ResourceOf<typeof NodeAddressFilters>;

/** The filter excluding pod and service subnets. */
export const noK8sFilterId = 'no-k8s';
/** The filter keeping only pod and service subnets. */
export const onlyK8sFilterId = 'only-k8s';
