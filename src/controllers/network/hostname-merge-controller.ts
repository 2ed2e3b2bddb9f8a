import { HostnameSpecs, hostnameSpecId } from '../../resources/network/hostname-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeHostnameSpecs } from './merge-rules.js';

/** `network.HostnameMergeController`: merges the hostname, the highest layer with a non-empty one winning; id `hostname`. */
export function hostnameMergeController(): ControllerDefinition {
  return layeredMergeController(
    'network.HostnameMergeController',
    HostnameSpecs,
    () => hostnameSpecId,
    mergeHostnameSpecs,
  );
}
