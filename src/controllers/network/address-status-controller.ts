import type { NetworkPlatform } from '../../platform/network.js';
import { addressId } from '../../resources/network/address-spec.js';
import { AddressStatuses } from '../../resources/network/address-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { output } from '../../runtime/controller/inputs.js';

/** The name Talos gives the controller that observes addresses. */
export const addressStatusControllerName = 'network.AddressStatusController';

/**
 * `network.AddressStatusController`: one AddressStatus (`<link>/<prefix>`) per address the kernel
 * holds, the node's own and foreign ones alike, re-read on every platform change.
 */
export function addressStatusController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: addressStatusControllerName,
    inputs: [],
    outputs: [output.exclusive(AddressStatuses)],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const [links, addresses] = await Promise.all([network.links(), network.addresses()]);
      const index = new Map(links.map((l) => [l.name, l.index]));
      ctx.trackOutputs();
      for (const a of addresses) {
        const spec = AddressStatuses.spec.parse({
          address: a.address,
          local: a.address.split('/')[0],
          linkIndex: index.get(a.linkName) ?? 0,
          linkName: a.linkName,
          family: a.family,
          scope: a.scope,
          flags: [...a.flags],
        });
        await ctx.modify(AddressStatuses.make(addressId(a.linkName, a.address), spec), (d) => {
          d.spec = spec;
        });
      }
      await ctx.cleanupOutputs(AddressStatuses.kind());
    },
  });
}
