/** etcd resources: config, spec, PKI status and the local member. */
export {
  defaultEtcdClientPort,
  defaultEtcdPeerPort,
  type EtcdConfig,
  EtcdConfigs,
  etcdId,
  etcdNamespace,
} from './etcd-config.js';
export { type EtcdMember, EtcdMembers, etcdLocalMemberId } from './etcd-member.js';
export { type EtcdSpec, EtcdSpecs, etcdUrl } from './etcd-spec.js';
export { type PKIStatus, PKIStatuses } from './pki-status.js';
