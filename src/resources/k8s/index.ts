/** Kubernetes node resources: the kubelet's config, node name, node IP and spec. */
export { type KubeletConfig, KubeletConfigs } from './kubelet-config.js';
export { type KubeletSpec, KubeletSpecs } from './kubelet-spec.js';
export { type KubeletStatus, KubeletStatuses } from './kubelet-status.js';
export { k8sNamespace, kubeletId } from './namespace.js';
export { type NodeIP, NodeIPs } from './node-ip.js';
export { type NodeIPConfig, NodeIPConfigs } from './node-ip-config.js';
export { type Nodename, Nodenames, nodenameId } from './nodename.js';
