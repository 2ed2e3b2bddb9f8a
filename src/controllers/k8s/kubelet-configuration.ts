/**
 * The kubelet's `kubelet.config.k8s.io/v1beta1` KubeletConfiguration as Talos builds it: the
 * node's enforced settings, the cluster DNS, then the user's `extraConfig` on top (fields the node
 * must own are refused).
 */
import type { KubeletConfig } from '../../resources/k8s/kubelet-config.js';
import type { KubeletPaths } from './kubelet-files.js';

/** The KubeletConfiguration's API version. */
const kubeletConfigurationApiVersion = 'kubelet.config.k8s.io/v1beta1';

/** The default port of the kubelet's `/healthz`. */
export const defaultHealthzPort = 10248;

/** Fields of the KubeletConfiguration the node owns: `extraConfig` may not set them. */
const protectedFields = [
  'apiVersion',
  'kind',
  'staticPodPath',
  'staticPodURL',
  'authentication',
  'authorization',
];

/** A refused kubelet setting (a protected `extraConfig` field, a denied `extraArgs` flag). */
export class KubeletConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeletConfigError';
  }
}

/** Builds the KubeletConfiguration document; throws {@link KubeletConfigError} for a protected field. */
export function kubeletConfiguration(
  config: KubeletConfig['spec'],
  paths: KubeletPaths,
): Record<string, unknown> {
  for (const field of protectedFields) {
    if (field in config.extraConfig) {
      throw new KubeletConfigError(
        `machine.kubelet.extraConfig.${field} is set by the node and cannot be overridden`,
      );
    }
  }
  return {
    apiVersion: kubeletConfigurationApiVersion,
    kind: 'KubeletConfiguration',
    port: 10250,
    healthzBindAddress: '127.0.0.1',
    healthzPort: defaultHealthzPort,
    staticPodPath: paths.manifests,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: paths.clientCA },
    },
    authorization: { mode: 'Webhook' },
    clusterDomain: config.clusterDomain,
    clusterDNS: [...config.clusterDNS],
    registerNode: !config.skipNodeRegistration,
    cgroupRoot: '/',
    rotateCertificates: true,
    protectKernelDefaults: true,
    failSwapOn: false,
    serializeImagePulls: false,
    seccompDefault: true,
    shutdownGracePeriod: '30s',
    shutdownGracePeriodCriticalPods: '10s',
    streamingConnectionIdleTimeout: '5m',
    tlsMinVersion: 'VersionTLS13',
    systemReserved: { cpu: '50m', memory: '192Mi', pid: '100', 'ephemeral-storage': '256Mi' },
    logging: { format: 'json' },
    ...structuredClone(config.extraConfig),
  };
}
