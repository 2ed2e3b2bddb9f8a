import type { NetworkPlatform } from '../../platform/network.js';
import { HostnameSpecs, hostnameSpecId } from '../../resources/network/hostname-spec.js';
import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { applySpecs } from './apply-specs.js';

/** The name Talos gives the controller that applies the hostname. */
export const hostnameSpecControllerName = 'network.HostnameSpecController';

/**
 * `network.HostnameSpecController`: sets the kernel hostname and domain name from the merged
 * HostnameSpec (through its finalizer) and reports them as HostnameStatus; a hostname changed
 * behind the node's back is set again on the platform's next change.
 */
export function hostnameSpecController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: hostnameSpecControllerName,
    inputs: [input.strong(HostnameSpecs)],
    outputs: [output.exclusive(HostnameStatuses)],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const specs = await ctx.list(HostnameSpecs.kind());
      ctx.trackOutputs();
      await applySpecs(ctx, specs, {
        async apply({ spec }) {
          if (spec.hostname === '') return;
          const current = await network.hostname();
          if (current.hostname !== spec.hostname || current.domainname !== spec.domainname) {
            await network.setHostname(spec.hostname, spec.domainname);
          }
          await ctx.modify(HostnameStatuses.make(hostnameSpecId, { hostname: spec.hostname }), (d) => {
            d.spec.hostname = spec.hostname;
            d.spec.domainname = spec.domainname;
          });
        },
        async undo() {},
      });
      await ctx.cleanupOutputs(HostnameStatuses.kind());
    },
  });
}
