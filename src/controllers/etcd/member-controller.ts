import { EtcdMembers, etcdLocalMemberId } from '../../resources/etcd/etcd-member.js';
import { Services } from '../../resources/runtime/service.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { LocalEtcdMember } from './local-member.js';

/** How soon a failed member id lookup is tried again. */
const retryMs = 5_000;

/**
 * `etcd.MemberController`: `EtcdMember/local` with the member id while the etcd service runs
 * healthy; removed otherwise.
 */
export function etcdMemberController(member: LocalEtcdMember): ControllerDefinition {
  return defineController({
    name: 'etcd.MemberController',
    inputs: [input.weak(Services)],
    outputs: [output.exclusive(EtcdMembers)],
    async reconcile(ctx) {
      const service = (await ctx.list(Services.kind())).find((s) => s.metadata.id === 'etcd');
      ctx.trackOutputs();
      if (service?.spec.running && service.spec.healthy) {
        let memberID: string;
        try {
          memberID = await member.memberId();
        } catch {
          // etcd answered its health check a moment ago; it will again shortly.
          await ctx.cleanupOutputs(EtcdMembers.kind());
          return ctx.requeueAfter(retryMs);
        }
        await ctx.modify(EtcdMembers.make(etcdLocalMemberId, { memberID }), (d) => {
          d.spec.memberID = memberID;
        });
      }
      await ctx.cleanupOutputs(EtcdMembers.kind());
      return undefined;
    },
  });
}
