import { HostnameSpecs, hostnameSpecId, splitFqdn } from '../../resources/network/hostname-spec.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { NodeAddresses, nodeAddressDefaultId } from '../../resources/network/node-address.js';
import { input } from '../../runtime/controller/inputs.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';

/** Talos' default hostname from an address: `10.0.0.50/24` → `talos-10-0-0-50`. */
export function defaultHostname(address: string): string {
  const ip = address.split('/')[0] ?? address;
  return `talos-${ip.replaceAll(/[.:]/g, '-')}`;
}

function layerHostname(layer: ConfigLayer, hostname: string, domainname: string): AnyResource {
  return HostnameSpecs.make(
    layeredId(layer, hostnameSpecId),
    { hostname, domainname, layer },
    { namespace: networkConfigNamespace },
  );
}

/**
 * `network.HostnameConfigController`: HostnameSpecs in `network-config`: `talos-<default address>`
 * once the node has a default address (default), `talos.hostname=`/`ip=` (cmdline), the platform's
 * hostname, and `machine.network.hostname` (configuration). FQDNs split into host and domain.
 */
export const hostnameConfigController = defineNetworkConfigController({
  name: 'network.HostnameConfigController',
  definition: HostnameSpecs,
  sources: ['machineConfig', 'platform'],
  inputs: [input.weak(NodeAddresses, { id: nodeAddressDefaultId })],
  async specs({ cmdline, platform, machineConfig }, ctx) {
    const specs: AnyResource[] = [];
    const first = (await undefinedIfNotFound(ctx.get(NodeAddresses.pointer(nodeAddressDefaultId))))?.spec
      .addresses[0];
    if (first !== undefined) specs.push(layerHostname('default', defaultHostname(first), ''));
    if (cmdline.hostname !== '') specs.push(layerHostname('cmdline', cmdline.hostname, cmdline.domainname));
    if (platform !== undefined && platform.hostname !== '') {
      const { hostname, domainname } = splitFqdn(platform.hostname);
      specs.push(layerHostname('platform', hostname, domainname));
    }
    const configured = machineConfig?.machine.network.hostname;
    if (configured !== undefined) {
      const { hostname, domainname } = splitFqdn(configured);
      specs.push(layerHostname('configuration', hostname, domainname));
    }
    return specs;
  },
});
