import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { TimeServerSpecs, timeServerSpecId } from '../../resources/network/time-server-spec.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';

/** Talos' default NTP server. */
export const defaultTimeServer = 'time.cloudflare.com';

function layerTimeServers(layer: ConfigLayer, timeServers: readonly string[]): AnyResource {
  return TimeServerSpecs.make(
    layeredId(layer, timeServerSpecId),
    { timeServers: [...timeServers], layer },
    { namespace: networkConfigNamespace },
  );
}

/**
 * `network.TimeServerConfigController`: TimeServerSpecs in `network-config`: time.cloudflare.com
 * (default), the `ip=` NTP server (cmdline), the platform's, and `machine.time.servers`.
 */
export const timeServerConfigController = defineNetworkConfigController({
  name: 'network.TimeServerConfigController',
  definition: TimeServerSpecs,
  sources: ['machineConfig', 'platform'],
  async specs({ cmdline, machineConfig, platform }) {
    const specs: AnyResource[] = [layerTimeServers('default', [defaultTimeServer])];
    if (cmdline.timeServers.length > 0) specs.push(layerTimeServers('cmdline', cmdline.timeServers));
    if (platform !== undefined && platform.timeServers.length > 0) {
      specs.push(layerTimeServers('platform', platform.timeServers));
    }
    const servers = machineConfig?.machine.time.servers ?? [];
    if (servers.length > 0) specs.push(layerTimeServers('configuration', servers));
    return specs;
  },
});
