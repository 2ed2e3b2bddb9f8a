import { AddressSpecs, addressId } from '../../resources/network/address-spec.js';
import { parsePrefix } from '../../resources/network/ip.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';
import { deviceLink, resolveCmdlineLinks, vlanLinkName } from './config-sources.js';

/** A per-layer AddressSpec with id `<layer>/<link>/<address>`; a static address is `permanent`. */
function layerAddress(
  layer: ConfigLayer,
  linkName: string,
  address: string,
  scope: 'global' | 'host' = 'global',
): AnyResource {
  const family = parsePrefix(address)?.family ?? 'inet4';
  return AddressSpecs.make(
    layeredId(layer, addressId(linkName, address)),
    { address, linkName, family, scope, flags: ['permanent'], layer },
    { namespace: networkConfigNamespace },
  );
}

/**
 * `network.AddressConfigController`: AddressSpecs in `network-config`: `127.0.0.1/8` and `::1/128`
 * on `lo` (default), `ip=` addresses (cmdline), the platform's addresses, and the configuration's
 * interface and VLAN addresses.
 */
export const addressConfigController = defineNetworkConfigController({
  name: 'network.AddressConfigController',
  definition: AddressSpecs,
  sources: ['platform', 'links', 'devices'],
  async specs({ cmdline, platform, links, devices }) {
    const specs: AnyResource[] = [
      layerAddress('default', 'lo', '127.0.0.1/8', 'host'),
      layerAddress('default', 'lo', '::1/128', 'host'),
    ];
    for (const link of resolveCmdlineLinks(cmdline, links)) {
      for (const address of link.addresses) specs.push(layerAddress('cmdline', link.name, address));
    }
    for (const a of platform?.addresses ?? []) specs.push(layerAddress('platform', a.linkName, a.address));
    for (const device of devices) {
      const name = deviceLink(device);
      for (const address of device.device.addresses) specs.push(layerAddress('configuration', name, address));
      for (const vlan of device.device.vlans) {
        const vlanName = vlanLinkName(name, vlan.vlanId);
        for (const address of vlan.addresses) specs.push(layerAddress('configuration', vlanName, address));
      }
    }
    return specs;
  },
});
