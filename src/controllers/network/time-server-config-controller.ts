import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { TimeServerSpecs, timeServerSpecId } from '../../resources/network/time-server-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { output } from '../../runtime/controller/inputs.js';
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
export function timeServerConfigController(options: NetworkConfigOptions = {}): ControllerDefinition {
  const cmdline = cmdlineOf(options);
  return defineController({
    name: 'network.TimeServerConfigController',
    inputs: [machineConfigInput, platformConfigInput],
    outputs: [output.shared(TimeServerSpecs)],
    async reconcile(ctx) {
      const specs: AnyResource[] = [layerTimeServers('default', [defaultTimeServer])];
      if (cmdline.timeServers.length > 0) specs.push(layerTimeServers('cmdline', cmdline.timeServers));
      const platform = await readPlatformConfig(ctx);
      if (platform !== undefined && platform.timeServers.length > 0) {
        specs.push(layerTimeServers('platform', platform.timeServers));
      }
      const servers = (await readMachineConfig(ctx))?.machine.time.servers ?? [];
      if (servers.length > 0) specs.push(layerTimeServers('configuration', servers));
      await writeLayerSpecs(ctx, TimeServerSpecs, specs);
    },
  });
}
