import { etcdId } from '../../resources/etcd/etcd-config.js';
import { EtcdSpecs, etcdUrl } from '../../resources/etcd/etcd-spec.js';
import { PKIStatuses } from '../../resources/etcd/pki-status.js';
import { Services } from '../../resources/runtime/service.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input } from '../../runtime/controller/inputs.js';
import type { LocalEtcdMember } from './local-member.js';

/**
 * `etcd.AdvertisedPeerController` (research §3.5): while the etcd service is healthy, keeps the
 * local member's peer URLs equal to the EtcdSpec's advertised addresses (a MemberUpdate, which needs
 * quorum: re-address one node at a time). Listen addresses are not hot-applied; they take effect at
 * the next start.
 */
export function advertisedPeerController(member: LocalEtcdMember): ControllerDefinition {
  return defineController({
    name: 'etcd.AdvertisedPeerController',
    inputs: [input.weak(EtcdSpecs), input.weak(PKIStatuses), input.weak(Services)],
    outputs: [],
    async reconcile(ctx) {
      const spec = (await ctx.list(EtcdSpecs.kind())).find((r) => r.metadata.id === etcdId);
      const pki = (await ctx.list(PKIStatuses.kind())).find((r) => r.metadata.id === etcdId);
      const service = (await ctx.list(Services.kind())).find((s) => s.metadata.id === 'etcd');
      if (spec === undefined || !pki?.spec.ready || !service?.spec.running || !service.spec.healthy) return;
      await member.updatePeerUrls(spec.spec.advertisedAddresses.map((a) => etcdUrl(a, spec.spec.peerPort)));
    },
  });
}
