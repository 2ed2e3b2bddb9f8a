import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The id of the kubelet's secrets. */
export const kubeletSecretsId = 'kubelet';

/**
 * `KubeletSecrets.secrets.talos.dev/kubelet`: what the kubelet needs to join the cluster: the API
 * endpoint, the CAs it trusts and its bootstrap token. Sensitive.
 */
export const KubeletSecrets = defineResource({
  type: 'KubeletSecrets.secrets.talos.dev',
  defaultNamespace: 'secrets',
  spec: z.object({
    endpoint: z.string(),
    /** PEM certificates. */
    acceptedCAs: z.array(z.string()).default([]),
    bootstrapTokenID: z.string().default(''),
    bootstrapTokenSecret: z.string().default(''),
  }),
  sensitive: true,
});
/** A kubelet secrets resource. */
export type KubeletSecret = ResourceOf<typeof KubeletSecrets>;
