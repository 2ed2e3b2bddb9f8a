import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';
import { etcdNamespace } from './etcd-config.js';

/** The id of the local member. */
export const etcdLocalMemberId = 'local';

/** `EtcdMembers.etcd.talos.dev/local`: this node's member, present while its etcd runs healthy. */
export const EtcdMembers = defineResource({
  type: 'EtcdMembers.etcd.talos.dev',
  defaultNamespace: etcdNamespace,
  aliases: ['member', 'members'],
  spec: z.object({
    /** The member id, hex as etcdctl prints it. */
    memberID: z.string(),
  }),
  printColumns: [{ name: 'Member ID', jsonPath: '{.memberID}' }],
});
/** An EtcdMember resource. */
export type EtcdMember = ResourceOf<typeof EtcdMembers>;
