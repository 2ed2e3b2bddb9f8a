import type { NetworkPlatform } from '../../platform/network.js';
import { ResolverSpecs, resolverSpecId } from '../../resources/network/resolver-spec.js';
import { ResolverStatuses } from '../../resources/network/resolver-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { deepEqual } from '../../runtime/resource/equality.js';
import { applySpecs } from './apply-specs.js';

/** The name Talos gives the controller that applies the resolvers. */
export const resolverSpecControllerName = 'network.ResolverSpecController';

/**
 * `network.ResolverSpecController`: hands the merged resolvers to the platform (which renders the
 * resolver file) through its finalizer and reports them as ResolverStatus.
 */
export function resolverSpecController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: resolverSpecControllerName,
    inputs: [input.strong(ResolverSpecs)],
    outputs: [output.exclusive(ResolverStatuses)],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const specs = await ctx.list(ResolverSpecs.kind());
      ctx.trackOutputs();
      await applySpecs(ctx, specs, {
        async apply({ spec }) {
          const wanted = { nameServers: [...spec.dnsServers], searchDomains: [...spec.searchDomains] };
          const current = await network.resolvers();
          if (!deepEqual({ ...current }, wanted)) await network.setResolvers(wanted);
          await ctx.modify(ResolverStatuses.make(resolverSpecId, {}), (d) => {
            d.spec.dnsServers = wanted.nameServers;
            d.spec.searchDomains = wanted.searchDomains;
          });
        },
        async undo() {},
      });
      await ctx.cleanupOutputs(ResolverStatuses.kind());
    },
  });
}
