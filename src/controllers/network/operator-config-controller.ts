import type { NetworkDevice } from '../../resources/config/v1alpha1-network.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { OperatorSpecs, operatorId } from '../../resources/network/operator-spec.js';
import { defaultRouteMetric } from '../../resources/network/route-spec.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';
import { deviceLink, physicalLinks, resolveCmdlineLinks, vlanLinkName } from './config-sources.js';

/** A per-layer DHCP operator with id `<layer>/dhcp4/<link>` (or dhcp6). */
function layerDhcp(
  layer: ConfigLayer,
  family: 'dhcp4' | 'dhcp6',
  linkName: string,
  routeMetric = defaultRouteMetric,
): AnyResource {
  return OperatorSpecs.make(
    layeredId(layer, operatorId(family, linkName)),
    {
      operator: family,
      linkName,
      requireUp: true,
      ...(family === 'dhcp4' ? { dhcp4: { routeMetric } } : { dhcp6: { routeMetric } }),
      layer,
    },
    { namespace: networkConfigNamespace },
  );
}

function layerVip(linkName: string, ip: string): AnyResource {
  return OperatorSpecs.make(
    layeredId('configuration', operatorId('vip', linkName, ip)),
    { operator: 'vip', linkName, requireUp: true, vip: { ip, gratuitousARP: true }, layer: 'configuration' },
    { namespace: networkConfigNamespace },
  );
}

/** The operators a device (or one of its VLANs) asks for: DHCPv4/v6 per `dhcpOptions`, a VIP. */
function deviceOperators(
  device: Pick<NetworkDevice, 'dhcp' | 'dhcpOptions' | 'vip'>,
  linkName: string,
): AnyResource[] {
  const out: AnyResource[] = [];
  const metric = device.dhcpOptions?.routeMetric ?? defaultRouteMetric;
  if (device.dhcp && device.dhcpOptions?.ipv4 !== false)
    out.push(layerDhcp('configuration', 'dhcp4', linkName, metric));
  if (device.dhcp && device.dhcpOptions?.ipv6 === true)
    out.push(layerDhcp('configuration', 'dhcp6', linkName, metric));
  if (device.vip !== undefined) out.push(layerVip(linkName, device.vip.ip));
  return out;
}

/**
 * `network.OperatorConfigController` (with Talos' VIP config folded in): OperatorSpecs in
 * `network-config`: DHCPv4 on every physical link no layer configures (default), `ip=dhcp`
 * (cmdline), the platform's DHCP links, and `dhcp`/`dhcpOptions`/`vip` of the configuration's
 * interfaces and VLANs.
 */
export const operatorConfigController = defineNetworkConfigController({
  name: 'network.OperatorConfigController',
  definition: OperatorSpecs,
  sources: ['machineConfig', 'platform', 'links', 'devices'],
  async specs({ cmdline, machineConfig, platform, links, devices }) {
    // Links some layer says something about: the default DHCP leaves them alone.
    const configured = new Set<string>(cmdline.ignoredLinks);
    const specs: AnyResource[] = [];
    for (const link of resolveCmdlineLinks(cmdline, links)) {
      configured.add(link.name);
      if (link.dhcp) specs.push(layerDhcp('cmdline', 'dhcp4', link.name));
    }
    for (const vlan of cmdline.vlans) configured.add(vlan.parent);
    for (const name of platform?.dhcp ?? []) specs.push(layerDhcp('platform', 'dhcp4', name));
    for (const name of [
      ...(platform?.dhcp ?? []),
      ...(platform?.links ?? []).map((l) => l.name),
      ...(platform?.addresses ?? []).map((a) => a.linkName),
    ]) {
      configured.add(name);
    }
    for (const device of machineConfig?.machine.network.interfaces ?? []) {
      if (device.interface !== undefined) configured.add(device.interface);
    }
    for (const device of devices) {
      const name = deviceLink(device);
      configured.add(name);
      for (const slave of device.device.bond?.interfaces ?? []) configured.add(slave);
      specs.push(...deviceOperators(device.device, name));
      for (const vlan of device.device.vlans)
        specs.push(...deviceOperators(vlan, vlanLinkName(name, vlan.vlanId)));
    }
    for (const link of physicalLinks(links)) {
      if (!configured.has(link.metadata.id)) specs.push(layerDhcp('default', 'dhcp4', link.metadata.id));
    }
    return specs;
  },
});
