import { createPrivateKey, X509Certificate } from 'node:crypto';
import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { isControlPlane } from '../../resources/config/machine-type.js';
import { EtcdRootSecrets, etcdSecretsId } from '../../resources/secrets/etcd-root.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';

/** PEM as given, or Talos' base64 of PEM. */
function pemText(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('-----BEGIN') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
}

/**
 * Checks `cluster.etcd.ca` and returns it as PEM with a PKCS#8 key; a broken one throws naming the
 * problem (an ECDSA P-256 key matching the certificate is required).
 */
export function parseEtcdCa(ca: { crt: string; key: string }): { crt: string; key: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pemText(ca.crt));
  } catch (error) {
    throw new Error(`cluster.etcd.ca.crt is not a PEM certificate: ${(error as Error).message}`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pemText(ca.key));
  } catch (error) {
    throw new Error(`cluster.etcd.ca.key is not a PEM private key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('cluster.etcd.ca.key must be an ECDSA P-256 key');
  }
  if (!cert.checkPrivateKey(key))
    throw new Error('cluster.etcd.ca.key does not belong to cluster.etcd.ca.crt');
  if (!cert.ca) throw new Error('cluster.etcd.ca.crt is not a CA certificate');
  return { crt: cert.toString(), key: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * `secrets.RootEtcdController`: EtcdRootSecret from the active config's `cluster.etcd.ca` (with its
 * key) on control planes; none otherwise, and then etcd does not start (as in Talos).
 */
export function rootEtcdController(): ControllerDefinition {
  return defineController({
    name: 'secrets.RootEtcdController',
    inputs: [input.weak(MachineConfigs)],
    outputs: [output.exclusive(EtcdRootSecrets)],
    async reconcile(ctx) {
      const config = (await ctx.list(MachineConfigs.kind())).find(
        (c) => c.metadata.id === activeMachineConfigId && c.metadata.phase === 'running',
      );
      const ca = config?.spec.cluster.etcd.ca;
      ctx.trackOutputs();
      if (config !== undefined && isControlPlane(config.spec.machine.type) && ca?.key !== undefined) {
        const etcdCA = parseEtcdCa({ crt: ca.crt, key: ca.key });
        await ctx.modify(EtcdRootSecrets.make(etcdSecretsId, { etcdCA }), (d) => {
          d.spec.etcdCA = etcdCA;
        });
      }
      await ctx.cleanupOutputs(EtcdRootSecrets.kind());
    },
  });
}
