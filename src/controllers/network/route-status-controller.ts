import type { NetworkPlatform } from '../../platform/network.js';
import { routeId } from '../../resources/network/route-spec.js';
import { RouteStatuses } from '../../resources/network/route-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { output } from '../../runtime/controller/inputs.js';
import { tableName } from './route-table.js';

/** The name Talos gives the controller that observes routes. */
export const routeStatusControllerName = 'network.RouteStatusController';

/**
 * `network.RouteStatusController`: one RouteStatus per kernel route of the main and custom tables,
 * with RouteSpec's id scheme, re-read on every platform change.
 */
export function routeStatusController(network: NetworkPlatform): ControllerDefinition {
  return defineController({
    name: routeStatusControllerName,
    inputs: [],
    outputs: [output.exclusive(RouteStatuses)],
    sources: [source('netlink', () => network.changes())],
    async reconcile(ctx) {
      const [links, routes] = await Promise.all([network.links(), network.routes()]);
      const index = new Map(links.map((l) => [l.name, l.index]));
      ctx.trackOutputs();
      for (const r of routes) {
        const spec = RouteStatuses.spec.parse({
          family: r.family,
          dst: r.destination,
          src: r.source,
          gateway: r.gateway,
          outLinkIndex: index.get(r.outLinkName) ?? 0,
          outLinkName: r.outLinkName,
          table: tableName(r.table),
          priority: r.priority,
          scope: r.scope,
          type: r.type,
          protocol: r.protocol,
        });
        const id = routeId(spec);
        await ctx.modify(RouteStatuses.make(id, spec), (d) => {
          d.spec = spec;
        });
      }
      await ctx.cleanupOutputs(RouteStatuses.kind());
    },
  });
}
