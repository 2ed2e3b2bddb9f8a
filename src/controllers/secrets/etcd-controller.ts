import { issueCertificate } from '../../api/certificates.js';
import { fqdn, HostnameStatuses } from '../../resources/network/hostname-status.js';
import { filteredNodeAddressId, NodeAddresses } from '../../resources/network/node-address.js';
import { noK8sFilterId } from '../../resources/network/node-address-filter.js';
import { EtcdRootSecrets, etcdSecretsId } from '../../resources/secrets/etcd-root.js';
import { type EtcdSecret, EtcdSecrets } from '../../resources/secrets/etcd-secrets.js';
import { TimeStatuses, timeStatusId } from '../../resources/time/time-status.js';
import type { Clock } from '../../runtime/clock.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';

const accumulativeNoK8s = filteredNodeAddressId('accumulative', noK8sFilterId);
const dayMs = 86_400_000;
/** Certificates are backdated this much for clock skew between members. */
const skewMs = 60_000;

/** Options of {@link etcdSecretsController}. */
export interface EtcdSecretsControllerOptions {
  /** Certificates are valid from this clock's now. */
  readonly clock: Clock;
  /** Validity in days (default 365). */
  readonly validityDays?: number;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * `secrets.EtcdController`: once time is synced, this member's server, peer and admin certificates
 * from the etcd CA, the server and peer ones valid for the hostname, `localhost`, loopback and every
 * address the node had this boot (`accumulative-no-k8s`, so an address moving away does not
 * invalidate them). Reissued only when the CA, the names or the time epoch change.
 */
export function etcdSecretsController(options: EtcdSecretsControllerOptions): ControllerDefinition {
  return defineController({
    name: 'secrets.EtcdController',
    inputs: [
      input.weak(EtcdRootSecrets),
      input.weak(TimeStatuses),
      input.weak(HostnameStatuses),
      input.weak(NodeAddresses),
    ],
    outputs: [output.exclusive(EtcdSecrets)],
    async reconcile(ctx) {
      const root = (await ctx.list(EtcdRootSecrets.kind())).find((r) => r.metadata.id === etcdSecretsId);
      if (root === undefined) {
        ctx.trackOutputs();
        await ctx.cleanupOutputs(EtcdSecrets.kind());
        return;
      }
      const time = (await ctx.list(TimeStatuses.kind())).find((t) => t.metadata.id === timeStatusId);
      const hostname = (await ctx.list(HostnameStatuses.kind()))[0];
      const addresses =
        (await ctx.list(NodeAddresses.kind())).find((n) => n.metadata.id === accumulativeNoK8s)?.spec
          .addresses ?? [];
      if (time === undefined || !time.spec.synced || hostname === undefined || addresses.length === 0) return;
      const names = [hostname.spec.hostname, fqdn(hostname.spec), 'localhost'];
      const ips = [...addresses.map((a) => a.split('/')[0] ?? a), '127.0.0.1', '::1'];
      const hosts = [...new Set([...names, ...ips])];
      const existing = (await ctx.list(EtcdSecrets.kind()))[0];
      const ca = root.spec.etcdCA;
      if (
        existing !== undefined &&
        existing.spec.caCrt === ca.crt &&
        existing.spec.epoch === time.spec.epoch &&
        sameList(existing.spec.hosts, hosts)
      ) {
        return;
      }
      const notBefore = new Date(options.clock.now() - skewMs);
      const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 365) * dayMs);
      const name = hostname.spec.hostname;
      const issue = async (usage: 'server' | 'client' | 'peer', commonName: string) => {
        const pair = await issueCertificate(
          { cert: ca.crt, key: ca.key },
          { usage, commonName, ...(usage === 'client' ? {} : { hosts }), notBefore, notAfter },
        );
        return { crt: pair.cert, key: pair.key };
      };
      const spec: EtcdSecret['spec'] = {
        // Members also dial each other's client port (gateway, health), hence a peer-style server cert.
        etcd: await issue('peer', name),
        etcdPeer: await issue('peer', name),
        etcdAdmin: await issue('client', 'talos'),
        hosts,
        caCrt: ca.crt,
        epoch: time.spec.epoch,
      };
      await ctx.modify(EtcdSecrets.make(etcdSecretsId, spec), (d) => {
        d.spec = spec;
      });
    },
  });
}
