import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { k8sNamespace } from './namespace.js';

/** The id of the node's name resource. */
export const nodenameId = 'nodename';

/** `Nodenames.kubernetes.talos.dev/nodename`: the name the node registers with in Kubernetes. */
export const Nodenames = defineResource({
  type: 'Nodenames.kubernetes.talos.dev',
  defaultNamespace: k8sNamespace,
  spec: z.object({
    nodename: z.string(),
    /** The version of the HostnameStatus it was derived from. */
    hostnameVersion: z.string().default(''),
    skipNodeRegistration: z.boolean().default(false),
  }),
  printColumns: [{ name: 'Nodename', jsonPath: '{.nodename}' }],
});
/** A Nodename resource. */
export type Nodename = ResourceOf<typeof Nodenames>;
