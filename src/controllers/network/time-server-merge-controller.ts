import { TimeServerSpecs, timeServerSpecId } from '../../resources/network/time-server-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeTimeServerSpecs } from './merge-rules.js';

/** `network.TimeServerMergeController`: merges the time servers of the highest layer that lists any, concatenated within it; id `timeservers`. */
export function timeServerMergeController(): ControllerDefinition {
  return layeredMergeController(
    'network.TimeServerMergeController',
    TimeServerSpecs,
    () => timeServerSpecId,
    mergeTimeServerSpecs,
  );
}
