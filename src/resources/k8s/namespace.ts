/** The namespace of the Kubernetes node resources, as Talos names it. */
export const k8sNamespace = 'k8s';

/** The id Talos gives the kubelet's resources (`KubeletConfig`, `NodeIPConfig`, `NodeIP`, `KubeletSpec`). */
export const kubeletId = 'kubelet';
