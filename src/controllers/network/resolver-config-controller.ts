import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { ResolverSpecs, resolverSpecId } from '../../resources/network/resolver-spec.js';
import { input } from '../../runtime/controller/inputs.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';

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
export const resolverConfigController = defineNetworkConfigController({
  name: 'network.ResolverConfigController',
  definition: ResolverSpecs,
  sources: ['machineConfig', 'platform'],
  inputs: [input.weak(HostnameStatuses)],
  async specs({ cmdline, machineConfig, platform }, ctx) {
    const domain =
      (await undefinedIfNotFound(ctx.get(HostnameStatuses.pointer('hostname'))))?.spec.domainname ?? '';
    const network = machineConfig?.machine.network;
    const search = domain !== '' && network?.disableSearchDomain !== true ? [domain] : [];
    const specs: AnyResource[] = [layerResolvers('default', defaultResolvers, search)];
    if (cmdline.nameservers.length > 0) specs.push(layerResolvers('cmdline', cmdline.nameservers, []));
    if (platform !== undefined && (platform.resolvers.length > 0 || platform.searchDomains.length > 0)) {
      specs.push(layerResolvers('platform', platform.resolvers, platform.searchDomains));
    }
    if (network !== undefined && (network.nameservers.length > 0 || network.searchDomains.length > 0)) {
      specs.push(layerResolvers('configuration', network.nameservers, network.searchDomains));
    }
    return specs;
  },
});
