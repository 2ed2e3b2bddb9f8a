import type { NetworkPlatform, PlatformAddress } from '../../platform/network.js';
import { AddressSpecs, addressId } from '../../resources/network/address-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input } from '../../runtime/controller/inputs.js';
import { applySpecs } from './apply-specs.js';
import { tolerate } from './platform-errors.js';

/** The name Talos gives the controller that applies addresses. */
export const addressSpecControllerName = 'network.AddressSpecController';

/** Flags the kernel sets by itself; a spec asking for none of them is still satisfied. */
const kernelFlags = new Set(['permanent', 'dynamic', 'tentative', 'deprecated', 'secondary', 'dadfailed']);

/**
 * `network.AddressSpecController`: applies merged AddressSpecs through its finalizer. An address on
 * a missing link waits; one whose scope or flags differ is removed and re-added; a tearing-down spec
 * removes its address. Addresses without a spec (added by hand or by a CNI) are never touched; one
 * removed behind the node's back comes back on the platform's next change.
 */
export function addressSpecController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: addressSpecControllerName,
    inputs: [input.strong(AddressSpecs)],
    outputs: [],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const specs = await ctx.list(AddressSpecs.kind());
      const [links, addresses] = await Promise.all([network.links(), network.addresses()]);
      const linkNames = new Set(links.map((l) => l.name));
      const held = new Map<string, PlatformAddress>(
        addresses.map((a) => [addressId(a.linkName, a.address), a]),
      );
      await applySpecs(ctx, specs, {
        async apply({ spec }) {
          if (!linkNames.has(spec.linkName)) return;
          const ref = { linkName: spec.linkName, address: spec.address };
          const current = held.get(addressId(spec.linkName, spec.address));
          const wantedFlags = spec.flags.filter((f) => !kernelFlags.has(f));
          if (current !== undefined) {
            const same = current.scope === spec.scope && wantedFlags.every((f) => current.flags.includes(f));
            if (same) return;
            await tolerate(() => network.removeAddress(ref), 'EADDRNOTAVAIL', 'ENODEV');
          }
          await tolerate(
            () => network.addAddress({ ...ref, scope: spec.scope, flags: wantedFlags }),
            'EEXIST',
            'ENODEV',
          );
        },
        async undo({ spec }) {
          if (!held.has(addressId(spec.linkName, spec.address))) return;
          await tolerate(
            () => network.removeAddress({ linkName: spec.linkName, address: spec.address }),
            'EADDRNOTAVAIL',
            'ENODEV',
          );
        },
      });
    },
  });
}
