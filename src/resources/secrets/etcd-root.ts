import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The namespace of secrets. */
export const secretsNamespace = 'secrets';
/** The id of the etcd root and the etcd certificates. */
export const etcdSecretsId = 'etcd';

/** A certificate and its key, PEM (the key PKCS#8). */
export const pemKeyPairSchema = z.object({ crt: z.string(), key: z.string() });

/** `EtcdRootSecrets.secrets.talos.dev/etcd`: the cluster's etcd CA, from `cluster.etcd.ca`. */
export const EtcdRootSecrets = defineResource({
  type: 'EtcdRootSecrets.secrets.talos.dev',
  defaultNamespace: secretsNamespace,
  sensitive: true,
  spec: z.object({ etcdCA: pemKeyPairSchema }),
});
/** An EtcdRootSecret resource. */
export type EtcdRootSecret = ResourceOf<typeof EtcdRootSecrets>;
