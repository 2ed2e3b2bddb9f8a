import { HostnameSpecs, hostnameSpecId, splitFqdn } from '../../resources/network/hostname-spec.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { NodeAddresses, nodeAddressDefaultId } from '../../resources/network/node-address.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { isNotFoundError } from '../../runtime/errors.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import {
  cmdlineOf,
  machineConfigInput,
  type NetworkConfigOptions,
  platformConfigInput,
  readMachineConfig,
  readPlatformConfig,
  writeLayerSpecs,
} from './config-sources.js';

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
export function hostnameConfigController(options: NetworkConfigOptions = {}): ControllerDefinition {
  const cmdline = cmdlineOf(options);
  return defineController({
    name: 'network.HostnameConfigController',
    inputs: [
      machineConfigInput,
      platformConfigInput,
      input.weak(NodeAddresses, { id: nodeAddressDefaultId }),
    ],
    outputs: [output.shared(HostnameSpecs)],
    async reconcile(ctx) {
      const specs: AnyResource[] = [];
      let first: string | undefined;
      try {
        first = (await ctx.get(NodeAddresses.pointer(nodeAddressDefaultId))).spec.addresses[0];
      } catch (error) {
        if (!isNotFoundError(error)) throw error;
      }
      if (first !== undefined) specs.push(layerHostname('default', defaultHostname(first), ''));
      if (cmdline.hostname !== '') specs.push(layerHostname('cmdline', cmdline.hostname, cmdline.domainname));
      const platform = await readPlatformConfig(ctx);
      if (platform !== undefined && platform.hostname !== '') {
        const { hostname, domainname } = splitFqdn(platform.hostname);
        specs.push(layerHostname('platform', hostname, domainname));
      }
      const configured = (await readMachineConfig(ctx))?.machine.network.hostname;
      if (configured !== undefined) {
        const { hostname, domainname } = splitFqdn(configured);
        specs.push(layerHostname('configuration', hostname, domainname));
      }
      await writeLayerSpecs(ctx, HostnameSpecs, specs);
    },
  });
}
