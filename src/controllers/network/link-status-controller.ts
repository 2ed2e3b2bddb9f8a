import type { NetworkPlatform, PlatformLink } from '../../platform/network.js';
import { LinkStatuses } from '../../resources/network/link-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { output } from '../../runtime/controller/inputs.js';
import type { SpecInputOf } from '../../runtime/resource/resource.js';

/** The name Talos gives the controller that observes links. */
export const linkStatusControllerName = 'network.LinkStatusController';

/** The kernel's flags of a link, as `ip link` prints them. */
function linkFlags(link: PlatformLink): string[] {
  const flags: string[] = [];
  if (link.type === 'loopback') flags.push('LOOPBACK');
  else flags.push('BROADCAST', 'MULTICAST');
  if (link.up) flags.push('UP');
  if (link.carrier) flags.push('LOWER_UP');
  return flags.sort();
}

/** Translates a platform link into a LinkStatus spec; `byName` resolves parent and master indexes. */
export function linkStatusSpec(
  link: PlatformLink,
  byName: ReadonlyMap<string, PlatformLink>,
): SpecInputOf<typeof LinkStatuses> {
  return {
    index: link.index,
    type: link.type,
    linkIndex: link.parentName === undefined ? 0 : (byName.get(link.parentName)?.index ?? 0),
    flags: linkFlags(link),
    hardwareAddr: link.hardwareAddr,
    mtu: link.mtu,
    masterIndex: link.masterName === undefined ? 0 : (byName.get(link.masterName)?.index ?? 0),
    operationalState: link.operationalState,
    kind: link.kind,
    linkState: link.carrier,
    vlan: { vlanID: link.vlanId ?? 0 },
  };
}

/**
 * `network.LinkStatusController`: one LinkStatus per kernel link, re-read whenever the platform
 * reports a change; a pure observer (nothing it writes is read back by the spec controllers).
 */
export function linkStatusController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: linkStatusControllerName,
    inputs: [],
    outputs: [output.exclusive(LinkStatuses)],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const links = await network.links();
      const byName = new Map(links.map((l) => [l.name, l]));
      ctx.trackOutputs();
      for (const link of links) {
        const spec = LinkStatuses.spec.parse(linkStatusSpec(link, byName));
        await ctx.modify(LinkStatuses.make(link.name, spec), (d) => {
          d.spec = spec;
        });
      }
      await ctx.cleanupOutputs(LinkStatuses.kind());
    },
  });
}
