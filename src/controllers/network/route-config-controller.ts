import type { NetworkDeviceRoute } from '../../resources/config/v1alpha1-network.js';
import { ipFamily, parsePrefix } from '../../resources/network/ip.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { defaultRouteMetric, RouteSpecs, routeId } from '../../resources/network/route-spec.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';
import { deviceLink, resolveCmdlineLinks, vlanLinkName } from './config-sources.js';

/** A route as the layers describe it. */
interface LayerRoute {
  /** '' or a `/0` prefix = the default route. */
  readonly network: string;
  readonly gateway: string;
  readonly source?: string | undefined;
  readonly linkName: string;
  readonly metric?: number | undefined;
  readonly mtu?: number | undefined;
}

/**
 * A per-layer RouteSpec with id `<layer>/<route id>`: `/0` is the default route (dst ''), the
 * metric defaults to 1024, a route with no gateway is link-scoped.
 */
function layerRoute(layer: ConfigLayer, route: LayerRoute): AnyResource | undefined {
  const dstPrefix = route.network === '' ? undefined : parsePrefix(route.network);
  const family = dstPrefix?.family ?? ipFamily(route.gateway);
  if (family === undefined) return undefined;
  const dst = dstPrefix === undefined || dstPrefix.bits === 0 ? '' : route.network;
  const priority = route.metric ?? defaultRouteMetric;
  const spec = {
    family,
    dst,
    src: route.source ?? '',
    gateway: route.gateway,
    outLinkName: route.linkName,
    priority,
    scope: route.gateway === '' ? ('link' as const) : ('global' as const),
    protocol: 'static' as const,
    mtu: route.mtu ?? 0,
    layer,
  };
  const id = routeId({ family, dst, gateway: route.gateway, priority, outLinkName: route.linkName });
  return RouteSpecs.make(layeredId(layer, id), spec, { namespace: networkConfigNamespace });
}

function fromDevice(route: NetworkDeviceRoute, linkName: string): LayerRoute {
  return {
    network: route.network,
    gateway: route.gateway ?? '',
    source: route.source,
    linkName,
    metric: route.metric,
    mtu: route.mtu,
  };
}

/**
 * `network.RouteConfigController`: RouteSpecs in `network-config`: the `ip=` gateway (cmdline), the
 * platform's routes, and the configuration's interface and VLAN routes.
 */
export const routeConfigController = defineNetworkConfigController({
  name: 'network.RouteConfigController',
  definition: RouteSpecs,
  sources: ['platform', 'links', 'devices'],
  async specs({ cmdline, platform, links, devices }) {
    const routes: (AnyResource | undefined)[] = [];
    for (const link of resolveCmdlineLinks(cmdline, links)) {
      if (link.gateway !== '')
        routes.push(layerRoute('cmdline', { network: '', gateway: link.gateway, linkName: link.name }));
    }
    for (const r of platform?.routes ?? []) routes.push(layerRoute('platform', r));
    for (const device of devices) {
      const name = deviceLink(device);
      for (const r of device.device.routes) routes.push(layerRoute('configuration', fromDevice(r, name)));
      for (const vlan of device.device.vlans) {
        const vlanName = vlanLinkName(name, vlan.vlanId);
        for (const r of vlan.routes) routes.push(layerRoute('configuration', fromDevice(r, vlanName)));
      }
    }
    return routes.filter((r) => r !== undefined);
  },
});
