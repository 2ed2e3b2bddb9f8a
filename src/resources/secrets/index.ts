/** Secrets resources: what services need to authenticate. */
export { type KubeletSecret, KubeletSecrets, kubeletSecretsId } from './kubelet.js';
