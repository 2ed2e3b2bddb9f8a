import type { NetworkPlatform, PlatformLink, PlatformLinkSpec } from '../../platform/network.js';
import { type LinkSpec, LinkSpecs } from '../../resources/network/link-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input } from '../../runtime/controller/inputs.js';
import { applySpecs } from './apply-specs.js';
import { tolerate } from './platform-errors.js';

/** The name Talos gives the controller that applies links. */
export const linkSpecControllerName = 'network.LinkSpecController';

/** The links a spec needs to exist first: its bond master and its VLAN parent. */
function dependencies(spec: LinkSpec['spec']): string[] {
  return [spec.bondSlave.masterName, spec.parentName].filter((n) => n !== '');
}

/** Orders specs so that masters and parents come before the links that need them (Talos §1.6). */
export function orderLinkSpecs(specs: readonly LinkSpec[]): LinkSpec[] {
  const byName = new Map(specs.map((s) => [s.spec.name, s]));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const spec = byName.get(name);
    if (spec === undefined || seen.has(name)) return 0;
    seen.add(name);
    const d = Math.max(0, ...dependencies(spec.spec).map((p) => depthOf(p, seen) + 1));
    depth.set(name, d);
    return d;
  };
  return [...specs].sort(
    (a, b) =>
      depthOf(a.spec.name, new Set()) - depthOf(b.spec.name, new Set()) ||
      (a.spec.name < b.spec.name ? -1 : 1),
  );
}

function platformSpec(spec: LinkSpec['spec']): PlatformLinkSpec {
  return {
    name: spec.name,
    logical: spec.logical,
    up: spec.up,
    ...(spec.kind === '' ? {} : { kind: spec.kind }),
    ...(spec.mtu === 0 ? {} : { mtu: spec.mtu }),
    ...(spec.hardwareAddr === '' ? {} : { hardwareAddr: spec.hardwareAddr }),
    ...(spec.parentName === '' ? {} : { parentName: spec.parentName }),
    ...(spec.kind === 'vlan' ? { vlanId: spec.vlan.vid } : {}),
    ...(spec.kind === 'bond' && spec.bondMaster.mode !== '' ? { bondMode: spec.bondMaster.mode } : {}),
    ...(spec.bondSlave.masterName === '' ? {} : { masterName: spec.bondSlave.masterName }),
  };
}

/** Whether the kernel's link already is what the spec asks (so no call, and no change event). */
function satisfied(spec: LinkSpec['spec'], link: PlatformLink): boolean {
  return (
    link.up === spec.up &&
    (spec.mtu === 0 || link.mtu === spec.mtu) &&
    (spec.hardwareAddr === '' || link.hardwareAddr === spec.hardwareAddr) &&
    (spec.bondSlave.masterName === '' || link.masterName === spec.bondSlave.masterName)
  );
}

/**
 * `network.LinkSpecController`: applies merged LinkSpecs to the kernel through its finalizer.
 * Logical links are created (masters and parents first) and deleted on teardown (children first);
 * a logical link whose kind changed is re-created; physical links are configured, never deleted,
 * and a missing one is waited for (its appearance is a link change that runs this again).
 */
export function linkSpecController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: linkSpecControllerName,
    inputs: [input.strong(LinkSpecs)],
    outputs: [],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const specs = orderLinkSpecs(await ctx.list(LinkSpecs.kind()));
      const links = new Map((await network.links()).map((l) => [l.name, l]));
      await applySpecs(ctx, specs, {
        async apply({ spec }) {
          const link = links.get(spec.name);
          if (!spec.logical && link === undefined) return;
          if (spec.logical && link !== undefined && spec.kind !== '' && link.kind !== spec.kind) {
            await tolerate(() => network.deleteLink(spec.name), 'ENODEV');
          } else if (link !== undefined && satisfied(spec, link)) {
            return;
          }
          await tolerate(() => network.ensureLink(platformSpec(spec)), 'ENODEV');
        },
        async undo({ spec }) {
          if (!spec.logical) return;
          const link = links.get(spec.name);
          if (link === undefined || link.physical) return;
          await tolerate(() => network.deleteLink(spec.name), 'ENODEV');
        },
      });
    },
  });
}
