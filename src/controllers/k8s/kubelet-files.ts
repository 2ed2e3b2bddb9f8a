import { join } from 'node:path';

/** Where a node keeps the kubelet's files: `<stateDir>/kubelet/`, as Talos keeps them in `/etc/kubernetes`. */
export interface KubeletPaths {
  readonly dir: string;
  /** The KubeletConfiguration document. */
  readonly config: string;
  /** The bootstrap kubeconfig (API endpoint, CA, bootstrap token). */
  readonly bootstrapKubeconfig: string;
  /** The kubeconfig the kubelet writes once bootstrapped (and reads when present). */
  readonly kubeconfig: string;
  /** The CAs the kubelet trusts for clients. */
  readonly clientCA: string;
  /** Where the kubelet keeps its certificates. */
  readonly certDir: string;
  /** Static pod manifests. */
  readonly manifests: string;
}

/** The kubelet's file paths under a node's state directory. */
export function kubeletPaths(stateDir: string): KubeletPaths {
  const dir = join(stateDir, 'kubelet');
  return {
    dir,
    config: join(dir, 'kubelet.yaml'),
    bootstrapKubeconfig: join(dir, 'bootstrap-kubeconfig'),
    kubeconfig: join(dir, 'kubeconfig'),
    clientCA: join(dir, 'ca.crt'),
    certDir: join(dir, 'pki'),
    manifests: join(dir, 'manifests'),
  };
}
