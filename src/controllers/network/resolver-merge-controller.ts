import { ResolverSpecs, resolverSpecId } from '../../resources/network/resolver-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeResolverSpecs } from './merge-rules.js';

/** `network.ResolverMergeController`: merges the resolvers, family-aware across layers; id `resolvers`. */
export function resolverMergeController(): ControllerDefinition {
  return layeredMergeController(
    'network.ResolverMergeController',
    ResolverSpecs,
    () => resolverSpecId,
    mergeResolverSpecs,
  );
}
