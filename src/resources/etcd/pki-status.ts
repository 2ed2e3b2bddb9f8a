import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { etcdNamespace } from './etcd-config.js';

/** `PKIStatuses.etcd.talos.dev/etcd`: the etcd certificates are written where etcd reads them. */
export const PKIStatuses = defineResource({
  type: 'PKIStatuses.etcd.talos.dev',
  defaultNamespace: etcdNamespace,
  spec: z.object({
    ready: z.boolean().default(false),
    /** The version of the EtcdSecrets written. */
    version: z.string().default(''),
  }),
  printColumns: [
    { name: 'Ready', jsonPath: '{.ready}' },
    { name: 'Version', jsonPath: '{.version}' },
  ],
});
/** A PKIStatus resource. */
export type PKIStatus = ResourceOf<typeof PKIStatuses>;
