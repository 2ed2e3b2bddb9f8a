import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** Addresses the node has, by selection (`NodeAddresses.net.talos.dev`). */
export const NodeAddresses = defineResource({
  type: 'NodeAddresses.net.talos.dev',
  defaultNamespace: 'network',
  spec: z.object({
    /** Prefixes, e.g. `10.0.0.5/24`, in sort order. */
    addresses: z.array(z.string()).default([]),
    sortAlgorithm: z.enum(['v1', 'v2']).default('v1'),
  }),
  printColumns: [{ name: 'Addresses', jsonPath: '{.addresses}' }],
});
/** A NodeAddress resource. */
export type NodeAddress = ResourceOf<typeof NodeAddresses>;

/** The kinds of NodeAddress, also the prefixes of filtered ones (`routed-no-k8s`). */
export type NodeAddressKind = 'current' | 'routed' | 'accumulative';

/** The first sticky address: `default`. */
export const nodeAddressDefaultId = 'default';
/** Addresses on links that are up: `current`. */
export const nodeAddressCurrentId = 'current';
/** `current` minus external addresses: `routed`. */
export const nodeAddressRoutedId = 'routed';
/** Every address seen this boot: `accumulative`. */
export const nodeAddressAccumulativeId = 'accumulative';

/** The id of a filtered NodeAddress: `<kind>-<filter>`, e.g. `routed-no-k8s`. */
export function filteredNodeAddressId(kind: NodeAddressKind, filterId: string): string {
  return `${kind}-${filterId}`;
}
