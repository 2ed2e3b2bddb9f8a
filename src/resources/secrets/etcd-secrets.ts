import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { pemKeyPairSchema, secretsNamespace } from './etcd-root.js';

/** `EtcdSecrets.secrets.talos.dev/etcd`: this member's certificates, signed by the etcd CA. */
export const EtcdSecrets = defineResource({
  type: 'EtcdSecrets.secrets.talos.dev',
  defaultNamespace: secretsNamespace,
  sensitive: true,
  spec: z.object({
    /** Server certificate (serves clients). */
    etcd: pemKeyPairSchema,
    /** Peer certificate (server and client between members). */
    etcdPeer: pemKeyPairSchema,
    /** Client certificate the node itself uses (health, membership). */
    etcdAdmin: pemKeyPairSchema,
    /** The names and addresses the server and peer certificates are valid for. */
    hosts: z.array(z.string()).default([]),
    /** The CA certificate they were issued by. */
    caCrt: z.string(),
    /** The time epoch they were issued in (a clock jump reissues them). */
    epoch: z.number().int().default(0),
  }),
  printColumns: [{ name: 'Hosts', jsonPath: '{.hosts}' }],
});
/** An EtcdSecret resource. */
export type EtcdSecret = ResourceOf<typeof EtcdSecrets>;
