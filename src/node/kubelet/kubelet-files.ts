/**
 * The kubelet's files, rendered from its spec and secrets and written atomically before every
 * start: the KubeletConfiguration, the bootstrap kubeconfig and the client CA bundle.
 */
import { mkdir } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { KubeletPaths } from '../../controllers/k8s/kubelet-files.js';
import { writeFileAtomic } from '../../platform/disk/atomic-file.js';
import type { KubeletSpec } from '../../resources/k8s/kubelet-spec.js';
import type { KubeletSecret } from '../../resources/secrets/kubelet.js';

/** The bootstrap kubeconfig: the cluster endpoint and CA, and the bootstrap token as the user. */
function bootstrapKubeconfig(secrets: KubeletSecret['spec']): Record<string, unknown> {
  const ca = secrets.acceptedCAs.join('\n');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'local',
        cluster: {
          server: secrets.endpoint,
          ...(ca === '' ? {} : { 'certificate-authority-data': Buffer.from(ca).toString('base64') }),
        },
      },
    ],
    users: [
      {
        name: 'kubelet',
        user: { token: `${secrets.bootstrapTokenID}.${secrets.bootstrapTokenSecret}` },
      },
    ],
    contexts: [{ name: 'kubelet@local', context: { cluster: 'local', user: 'kubelet' } }],
    'current-context': 'kubelet@local',
  };
}

/** Writes the kubelet's files for this spec and these secrets; each write all or nothing. */
export async function writeKubeletFiles(
  paths: KubeletPaths,
  spec: KubeletSpec['spec'],
  secrets: KubeletSecret['spec'],
): Promise<void> {
  for (const dir of [paths.dir, paths.certDir, paths.manifests]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  await writeFileAtomic(paths.clientCA, secrets.acceptedCAs.join('\n'), { mode: 0o644 });
  await writeFileAtomic(paths.bootstrapKubeconfig, stringify(bootstrapKubeconfig(secrets)));
  await writeFileAtomic(paths.config, stringify(spec.config), { mode: 0o644 });
}
