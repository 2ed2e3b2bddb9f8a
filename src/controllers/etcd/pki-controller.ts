import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/disk/atomic-file.js';
import { etcdId } from '../../resources/etcd/etcd-config.js';
import { PKIStatuses } from '../../resources/etcd/pki-status.js';
import { EtcdRootSecrets, etcdSecretsId } from '../../resources/secrets/etcd-root.js';
import { EtcdSecrets } from '../../resources/secrets/etcd-secrets.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';

/** The files etcd reads, by name inside the PKI directory. */
export const etcdPkiFiles = {
  ca: 'ca.crt',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  peerCert: 'peer.crt',
  peerKey: 'peer.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
} as const;

/**
 * `etcd.PKIController`: writes the etcd CA and this member's certificates into `dir` (each file
 * atomically, keys 0600), then PKIStatus with the EtcdSecrets version it wrote. etcd reads the files
 * on every handshake, so reissued certificates take effect without a restart.
 */
export function etcdPkiController(options: { readonly dir: string }): ControllerDefinition {
  return defineController({
    name: 'etcd.PKIController',
    inputs: [input.weak(EtcdRootSecrets), input.weak(EtcdSecrets)],
    outputs: [output.exclusive(PKIStatuses)],
    async reconcile(ctx) {
      const root = (await ctx.list(EtcdRootSecrets.kind())).find((r) => r.metadata.id === etcdSecretsId);
      const secrets = (await ctx.list(EtcdSecrets.kind())).find((r) => r.metadata.id === etcdSecretsId);
      ctx.trackOutputs();
      if (root !== undefined && secrets !== undefined) {
        const s = secrets.spec;
        await mkdir(options.dir, { recursive: true, mode: 0o700 });
        const files: [string, string][] = [
          [etcdPkiFiles.ca, root.spec.etcdCA.crt],
          [etcdPkiFiles.serverCert, s.etcd.crt],
          [etcdPkiFiles.serverKey, s.etcd.key],
          [etcdPkiFiles.peerCert, s.etcdPeer.crt],
          [etcdPkiFiles.peerKey, s.etcdPeer.key],
          [etcdPkiFiles.adminCert, s.etcdAdmin.crt],
          [etcdPkiFiles.adminKey, s.etcdAdmin.key],
        ];
        for (const [name, data] of files) await writeFileAtomic(join(options.dir, name), data);
        const status = { ready: true, version: String(secrets.metadata.version) };
        await ctx.modify(PKIStatuses.make(etcdId, status), (d) => {
          d.spec = status;
        });
      }
      await ctx.cleanupOutputs(PKIStatuses.kind());
    },
  });
}
