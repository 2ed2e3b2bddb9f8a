import { LinkSpecs } from '../../resources/network/link-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeLinkSpecs } from './merge-rules.js';

/** `network.LinkMergeController`: merges a link field by field (higher layers' non-zero fields win); id = link name. */
export function linkMergeController(): ControllerDefinition {
  return layeredMergeController('network.LinkMergeController', LinkSpecs, (s) => s.name, mergeLinkSpecs);
}
