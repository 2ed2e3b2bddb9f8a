import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { ResolverSpecs, resolverSpecId } from '../../resources/network/resolver-spec.js';
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

/** Talos' default resolvers. */
export const defaultResolvers: readonly string[] = ['1.1.1.1', '8.8.8.8'];

function layerResolvers(
  layer: ConfigLayer,
  dnsServers: readonly string[],
  searchDomains: readonly string[],
): AnyResource {
  return ResolverSpecs.make(
    layeredId(layer, resolverSpecId),
    { dnsServers: [...dnsServers], searchDomains: [...searchDomains], layer },
    { namespace: networkConfigNamespace },
  );
}

/**
 * `network.ResolverConfigController`: ResolverSpecs in `network-config`: 1.1.1.1 and 8.8.8.8 with
 * the node's domain as search domain (default; `disableSearchDomain` turns the domain off), `ip=`
 * DNS servers (cmdline), the platform's, and `machine.network.nameservers`/`searchDomains`.
 */
export function resolverConfigController(options: NetworkConfigOptions = {}): ControllerDefinition {
  const cmdline = cmdlineOf(options);
  return defineController({
    name: 'network.ResolverConfigController',
    inputs: [machineConfigInput, platformConfigInput, input.weak(HostnameStatuses)],
    outputs: [output.shared(ResolverSpecs)],
    async reconcile(ctx) {
      const config = await readMachineConfig(ctx);
      let domain = '';
      try {
        domain = (await ctx.get(HostnameStatuses.pointer('hostname'))).spec.domainname;
      } catch (error) {
        if (!isNotFoundError(error)) throw error;
      }
      const search = domain !== '' && config?.machine.network.disableSearchDomain !== true ? [domain] : [];
      const specs: AnyResource[] = [layerResolvers('default', defaultResolvers, search)];
      if (cmdline.nameservers.length > 0) specs.push(layerResolvers('cmdline', cmdline.nameservers, []));
      const platform = await readPlatformConfig(ctx);
      if (platform !== undefined && (platform.resolvers.length > 0 || platform.searchDomains.length > 0)) {
        specs.push(layerResolvers('platform', platform.resolvers, platform.searchDomains));
      }
      const network = config?.machine.network;
      if (network !== undefined && (network.nameservers.length > 0 || network.searchDomains.length > 0)) {
        specs.push(layerResolvers('configuration', network.nameservers, network.searchDomains));
      }
      await writeLayerSpecs(ctx, ResolverSpecs, specs);
    },
  });
}
