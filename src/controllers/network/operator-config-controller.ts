import type { NetworkDevice } from '../../resources/config/v1alpha1-network.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { LinkStatuses } from '../../resources/network/link-status.js';
import { OperatorSpecs, operatorId } from '../../resources/network/operator-spec.js';
import { defaultRouteMetric } from '../../resources/network/route-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { output } from '../../runtime/controller/inputs.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import {
  cmdlineOf,
  deviceConfigInput,
  deviceLink,
  linkStatusInput,
  machineConfigInput,
  type NetworkConfigOptions,
  physicalLinks,
  platformConfigInput,
  readDevices,
  readMachineConfig,
  readPlatformConfig,
  resolveCmdlineLinks,
  vlanLinkName,
  writeLayerSpecs,
} from './config-sources.js';

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
export function operatorConfigController(options: NetworkConfigOptions = {}): ControllerDefinition {
  const cmdline = cmdlineOf(options);
  return defineController({
    name: 'network.OperatorConfigController',
    inputs: [machineConfigInput, platformConfigInput, linkStatusInput, deviceConfigInput],
    outputs: [output.shared(OperatorSpecs)],
    async reconcile(ctx) {
      const links = await ctx.list(LinkStatuses.kind());
      const config = await readMachineConfig(ctx);
      const platform = await readPlatformConfig(ctx);
      const devices = await readDevices(ctx);
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
      for (const device of config?.machine.network.interfaces ?? []) {
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
      await writeLayerSpecs(ctx, OperatorSpecs, specs);
    },
  });
}
