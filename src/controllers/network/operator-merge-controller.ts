import { OperatorSpecs, operatorId } from '../../resources/network/operator-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeHighestWins } from './merge-rules.js';

/** `network.OperatorMergeController`: merges operators keyed by operator id (`dhcp4/eth0`), the higher layer winning. */
export function operatorMergeController(): ControllerDefinition {
  return layeredMergeController(
    'network.OperatorMergeController',
    OperatorSpecs,
    (s) => operatorId(s.operator, s.linkName, s.vip.ip),
    mergeHighestWins,
  );
}
