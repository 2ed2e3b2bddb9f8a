import { RouteSpecs, routeId } from '../../resources/network/route-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeHighestWins } from './merge-rules.js';

/** `network.RouteMergeController`: merges routes keyed by table, family, gateway, destination, metric (and link for IPv6), the higher layer winning. */
export function routeMergeController(): ControllerDefinition {
  return layeredMergeController(
    'network.RouteMergeController',
    RouteSpecs,
    (s) => routeId(s),
    mergeHighestWins,
  );
}
