import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { defaultEtcdClientPort, defaultEtcdPeerPort, etcdNamespace } from './etcd-config.js';

/** `EtcdSpecs.etcd.talos.dev/etcd`: how this node's etcd member runs (research §3.3). */
export const EtcdSpecs = defineResource({
  type: 'EtcdSpecs.etcd.talos.dev',
  defaultNamespace: etcdNamespace,
  spec: z.object({
    /** The member name: the hostname. */
    name: z.string(),
    /** Addresses (no `/bits`) peers and clients are told to use. */
    advertisedAddresses: z.array(z.string()).default([]),
    listenPeerAddresses: z.array(z.string()).default([]),
    listenClientAddresses: z.array(z.string()).default([]),
    image: z.string().default(''),
    extraArgs: z.record(z.string(), z.string()).default({}),
    clientPort: z.int().default(defaultEtcdClientPort),
    peerPort: z.int().default(defaultEtcdPeerPort),
  }),
  printColumns: [
    { name: 'Name', jsonPath: '{.name}' },
    { name: 'Advertised', jsonPath: '{.advertisedAddresses}' },
  ],
});
/** An EtcdSpec resource. */
export type EtcdSpec = ResourceOf<typeof EtcdSpecs>;

/** `https://<address>:<port>` (IPv6 in brackets). */
export function etcdUrl(address: string, port: number): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}
