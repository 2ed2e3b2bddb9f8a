import type { NetworkDeviceRoute } from '../../resources/config/v1alpha1-network.js';
import { ipFamily, parsePrefix } from '../../resources/network/ip.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { LinkStatuses } from '../../resources/network/link-status.js';
import { defaultRouteMetric, RouteSpecs, routeId } from '../../resources/network/route-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { output } from '../../runtime/controller/inputs.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import {
  cmdlineOf,
  deviceConfigInput,
  deviceLink,
  linkStatusInput,
  type NetworkConfigOptions,
  platformConfigInput,
  readDevices,
  readPlatformConfig,
  resolveCmdlineLinks,
  vlanLinkName,
  writeLayerSpecs,
} from './config-sources.js';

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
export function routeConfigController(options: NetworkConfigOptions = {}): ControllerDefinition {
  const cmdline = cmdlineOf(options);
  return defineController({
    name: 'network.RouteConfigController',
    inputs: [platformConfigInput, linkStatusInput, deviceConfigInput],
    outputs: [output.shared(RouteSpecs)],
    async reconcile(ctx) {
      const links = await ctx.list(LinkStatuses.kind());
      const platform = await readPlatformConfig(ctx);
      const routes: (AnyResource | undefined)[] = [];
      for (const link of resolveCmdlineLinks(cmdline, links)) {
        if (link.gateway !== '')
          routes.push(layerRoute('cmdline', { network: '', gateway: link.gateway, linkName: link.name }));
      }
      for (const r of platform?.routes ?? []) routes.push(layerRoute('platform', r));
      for (const device of await readDevices(ctx)) {
        const name = deviceLink(device);
        for (const r of device.device.routes) routes.push(layerRoute('configuration', fromDevice(r, name)));
        for (const vlan of device.device.vlans) {
          const vlanName = vlanLinkName(name, vlan.vlanId);
          for (const r of vlan.routes) routes.push(layerRoute('configuration', fromDevice(r, vlanName)));
        }
      }
      await writeLayerSpecs(
        ctx,
        RouteSpecs,
        routes.filter((r) => r !== undefined),
      );
    },
  });
}
