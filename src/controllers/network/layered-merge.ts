import {
  type ConfigLayer,
  layerPriority,
  networkConfigNamespace,
  networkNamespace,
} from '../../resources/network/layer.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { mergeController } from '../../runtime/controller/merge.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { Resource, SpecInputOf, SpecOf } from '../../runtime/resource/resource.js';

/**
 * A Talos merge controller: the per-layer specs of `definition` in `network-config`, grouped by
 * their natural id (`key`), merged lowest layer first by `merge`, written to `network`. Merged
 * specs that lose every layer are torn down and destroyed once the spec controller's finalizer goes.
 */
export function layeredMergeController<TDef extends AnyResourceDefinition>(
  name: string,
  definition: TDef,
  key: (spec: SpecOf<TDef>) => string,
  merge: (specs: readonly SpecOf<TDef>[]) => SpecOf<TDef> | null,
): ControllerDefinition {
  return mergeController({
    name,
    input: { definition, namespace: networkConfigNamespace },
    output: { definition, namespace: networkNamespace },
    outputKind: 'shared',
    key: (layer: Resource<TDef>) => key(layer.spec as SpecOf<TDef>),
    priority: (layer: Resource<TDef>) =>
      layerPriority((layer.spec as unknown as { layer: ConfigLayer }).layer),
    merge: (layers: readonly Resource<TDef>[]) =>
      merge(layers.map((l) => l.spec as SpecOf<TDef>)) as SpecInputOf<TDef> | null,
  });
}
