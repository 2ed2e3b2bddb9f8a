/**
 * The etcd service (research §3.4): waits for a control plane config, time, network, the etcd CA,
 * its spec and its certificates; then starts Debian's `etcd` with TLS for clients and peers, as a
 * new cluster when bootstrapped, a restarted member when it has data, or a learner it adds through
 * a running member otherwise.
 */
import { merge, type Observable } from 'rxjs';
import type { ProcessSpec } from '../../platform/processes.js';
import { isControlPlane, MachineTypes } from '../../resources/config/machine-type.js';
import { etcdId } from '../../resources/etcd/etcd-config.js';
import { type EtcdSpec, EtcdSpecs, etcdUrl } from '../../resources/etcd/etcd-spec.js';
import { PKIStatuses } from '../../resources/etcd/pki-status.js';
import { NetworkStatuses } from '../../resources/network/network-status.js';
import { EtcdRootSecrets } from '../../resources/secrets/etcd-root.js';
import { TimeStatuses } from '../../resources/time/time-status.js';
import type { ServiceCondition, ServiceDefinition } from '../supervisor/service.js';
import { type EtcdStartMode, etcdArgs } from './etcd-args.js';
import { joinCluster, promoteWhenReady } from './etcd-join.js';
import { type LocalEtcd, type LocalEtcdContext, localEtcd } from './local-etcd.js';

/** The id of the etcd service. */
export const etcdServiceId = 'etcd';

/** What the etcd service still waits for, in words. */
async function missing(etcd: LocalEtcd): Promise<string[]> {
  const { state } = etcd.context;
  const type = (await state.list(MachineTypes.kind()))[0]?.spec.machineType ?? 'unknown';
  if (!isControlPlane(type)) return ['a control plane machine config (etcd runs on control planes only)'];
  const out: string[] = [];
  if (!(await state.list(TimeStatuses.kind()))[0]?.spec.synced) out.push('time sync');
  const network = (await state.list(NetworkStatuses.kind()))[0]?.spec;
  if (!network?.addressReady || !network.hostnameReady || !network.etcFilesReady) out.push('network');
  if ((await state.list(EtcdRootSecrets.kind())).length === 0) {
    out.push('the etcd CA (cluster.etcd.ca with its key)');
  }
  if ((await state.list(EtcdSpecs.kind())).length === 0) out.push('etcd spec');
  if (!(await state.list(PKIStatuses.kind()))[0]?.spec.ready) out.push('etcd certificates');
  return out;
}

function condition(etcd: LocalEtcd): ServiceCondition {
  const { state } = etcd.context;
  return {
    missing: () => missing(etcd),
    changes: (): Observable<unknown> =>
      merge(
        state.watchKind(MachineTypes.kind()),
        state.watchKind(TimeStatuses.kind()),
        state.watchKind(NetworkStatuses.kind()),
        state.watchKind(EtcdRootSecrets.kind()),
        state.watchKind(EtcdSpecs.kind()),
        state.watchKind(PKIStatuses.kind()),
      ),
  };
}

/** Decides how the member starts (and joins the cluster when it must). */
async function prepare(etcd: LocalEtcd, spec: EtcdSpec['spec'], signal: AbortSignal): Promise<EtcdStartMode> {
  const self = spec.advertisedAddresses.map((a) => `${spec.name}=${etcdUrl(a, spec.peerPort)}`).join(',');
  if (await etcd.hasMemberData()) {
    etcd.bootstrapRequested = false;
    return { clusterState: 'existing', initialCluster: self };
  }
  if (etcd.bootstrapRequested) return { clusterState: 'new', initialCluster: self };
  const plan = await joinCluster(etcd, spec, signal);
  return { clusterState: 'existing', initialCluster: plan.initialCluster };
}

/** Promotes this member in the background when it is a learner (after a join, or a restart before promotion). */
function promoteInBackground(etcd: LocalEtcd, name: string, signal: AbortSignal): void {
  if (etcd.promoting) return;
  etcd.promoting = true;
  promoteWhenReady(etcd, name, signal)
    .catch((error: unknown) => etcd.logger.error({ err: error }, 'etcd learner promotion failed'))
    .finally(() => {
      etcd.promoting = false;
    });
}

/** The etcd service of a node. */
export function etcdService(context: LocalEtcdContext): ServiceDefinition {
  const etcd = localEtcd(context);
  let next: ProcessSpec | undefined;
  return {
    id: etcdServiceId,
    condition: condition(etcd),
    async preFunc({ signal }) {
      const spec = (await context.state.get(EtcdSpecs.pointer(etcdId))).spec;
      const mode = await prepare(etcd, spec, signal);
      next = {
        id: etcdServiceId,
        command: 'etcd',
        args: etcdArgs(spec, mode, etcd.dataDir, etcd.pkiDir),
      };
      etcd.name = spec.name;
      etcd.clientUrl = etcdUrl(spec.advertisedAddresses[0] ?? '127.0.0.1', spec.clientPort);
      if (mode.clusterState === 'existing') promoteInBackground(etcd, spec.name, signal);
    },
    process() {
      if (next === undefined) throw new Error('etcd was not prepared');
      return next;
    },
    restart: { kind: 'forever', intervalMs: 5_000 },
    health: {
      initialDelayMs: 1_000,
      // Every 2 s: a learner fails this check until it is promoted, and the health a rolling upgrade
      // or `cluster create` waits for should follow the promotion closely. One read per probe.
      periodMs: 2_000,
      timeoutMs: 10_000,
      async check() {
        // A linearizable read needs quorum: healthy means this member serves the cluster.
        await etcd.withLocalClient(async (client) => {
          await client.get('health').string();
        });
      },
    },
    stopGraceMs: 10_000,
  };
}
