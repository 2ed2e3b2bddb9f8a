import type { NetworkPlatform, PlatformRoute, PlatformRouteRef } from '../../platform/network.js';
import { type RouteSpec, RouteSpecs } from '../../resources/network/route-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input } from '../../runtime/controller/inputs.js';
import { applySpecs } from './apply-specs.js';
import { tolerate } from './platform-errors.js';
import { tableNumber } from './route-table.js';

/** The name Talos gives the controller that applies routes. */
export const routeSpecControllerName = 'network.RouteSpecController';

/** The kernel's identity of a route (family, table, destination, metric). */
function sameIdentity(spec: RouteSpec['spec'], route: PlatformRoute): boolean {
  return (
    route.family === spec.family &&
    route.table === tableNumber(spec.table) &&
    route.destination === spec.dst &&
    route.priority === spec.priority
  );
}

/** The kernel's identity of a spec's route, as a key. */
function identityKey(spec: RouteSpec['spec']): string {
  return `${spec.family} ${tableNumber(spec.table)} ${spec.dst} ${spec.priority}`;
}

/** Whether the kernel's route is exactly what the spec asks. */
function sameRoute(spec: RouteSpec['spec'], route: PlatformRoute): boolean {
  return (
    sameIdentity(spec, route) &&
    route.gateway === spec.gateway &&
    (spec.outLinkName === '' || route.outLinkName === spec.outLinkName) &&
    route.source === spec.src &&
    route.type === spec.type
  );
}

function reference(spec: RouteSpec['spec']): PlatformRouteRef {
  return {
    family: spec.family,
    destination: spec.dst,
    table: tableNumber(spec.table),
    priority: spec.priority,
    ...(spec.gateway === '' ? {} : { gateway: spec.gateway }),
    ...(spec.outLinkName === '' ? {} : { outLinkName: spec.outLinkName }),
  };
}

/**
 * `network.RouteSpecController`: applies merged RouteSpecs through its finalizer. A route whose link
 * is missing, down, or whose gateway is not reachable yet waits for the next platform change; a
 * kernel route with the same identity but another gateway is replaced; a tearing-down spec removes
 * its route. Routes without a spec are never touched.
 */
export function routeSpecController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: routeSpecControllerName,
    inputs: [input.strong(RouteSpecs)],
    outputs: [],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const specs = await ctx.list(RouteSpecs.kind());
      const [links, routes] = await Promise.all([network.links(), network.routes()]);
      const linkNames = new Set(links.map((l) => l.name));
      // The kernel holds one route per identity: when several specs ask for one, the first by id
      // holds it and the others wait, rather than replacing each other forever.
      const holders = new Map<string, string>();
      for (const s of specs) {
        if (s.metadata.phase === 'running' && !holders.has(identityKey(s.spec))) {
          holders.set(identityKey(s.spec), s.metadata.id);
        }
      }
      await applySpecs(ctx, specs, {
        async apply({ metadata, spec }) {
          if (spec.outLinkName !== '' && !linkNames.has(spec.outLinkName)) return;
          if (holders.get(identityKey(spec)) !== metadata.id) return;
          if (routes.some((r) => sameRoute(spec, r))) return;
          const conflicting = routes.find((r) => sameIdentity(spec, r));
          if (conflicting !== undefined) {
            const { family, destination, table, priority, gateway, outLinkName } = conflicting;
            await tolerate(
              () => network.removeRoute({ family, destination, table, priority, gateway, outLinkName }),
              'ESRCH',
            );
          }
          await tolerate(
            () =>
              network.addRoute({
                family: spec.family,
                destination: spec.dst,
                table: tableNumber(spec.table),
                priority: spec.priority,
                scope: spec.scope,
                type: spec.type,
                protocol: spec.protocol,
                ...(spec.gateway === '' ? {} : { gateway: spec.gateway }),
                ...(spec.src === '' ? {} : { source: spec.src }),
                ...(spec.outLinkName === '' ? {} : { outLinkName: spec.outLinkName }),
              }),
            'EEXIST',
            'ENODEV',
            'ENETDOWN',
            'ENETUNREACH',
          );
        },
        async undo({ spec }) {
          if (!routes.some((r) => sameRoute(spec, r))) return;
          await tolerate(() => network.removeRoute(reference(spec)), 'ESRCH', 'ENODEV');
        },
      });
    },
  });
}
