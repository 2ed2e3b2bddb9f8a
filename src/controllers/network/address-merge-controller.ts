import { AddressSpecs, addressId } from '../../resources/network/address-spec.js';
import type { ControllerDefinition } from '../../runtime/controller/define-controller.js';
import { layeredMergeController } from './layered-merge.js';
import { mergeAddressSpecs } from './merge-rules.js';

/** `network.AddressMergeController`: merges addresses keyed by link and address, the higher layer winning; id = `<link>/<address>`. */
export function addressMergeController(): ControllerDefinition {
  return layeredMergeController(
    'network.AddressMergeController',
    AddressSpecs,
    (s) => addressId(s.linkName, s.address),
    mergeAddressSpecs,
  );
}
