/** Secrets resources: what services need to authenticate. */

export {
  type EtcdRootSecret,
  EtcdRootSecrets,
  etcdSecretsId,
  secretsNamespace,
} from './etcd-root.js';
export { type EtcdSecret, EtcdSecrets } from './etcd-secrets.js';
export { type KubeletSecret, KubeletSecrets, kubeletSecretsId } from './kubelet.js';
