/** Secret resources: roots from the machine config and the certificates issued from them. */
export {
  type EtcdRootSecret,
  EtcdRootSecrets,
  etcdSecretsId,
  secretsNamespace,
} from './etcd-root.js';
export { type EtcdSecret, EtcdSecrets } from './etcd-secrets.js';
