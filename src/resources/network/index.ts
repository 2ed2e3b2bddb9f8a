export {
  type AddressSpec,
  type AddressSpecSpec,
  AddressSpecs,
  addressId,
  addressSpecSchema,
} from './address-spec.js';
export {
  type DeviceConfigSpec,
  DeviceConfigSpecs,
  deviceConfigId,
  deviceConfigSpecSchema,
} from './device-config-spec.js';
export {
  type HostnameSpec,
  type HostnameSpecSpec,
  HostnameSpecs,
  hostnameSpecId,
  hostnameSpecSchema,
  splitFqdn,
} from './hostname-spec.js';
export {
  type AddressFamily,
  addressFamilySchema,
  ipFamily,
  ipOrEmptySchema,
  ipSchema,
  type ParsedPrefix,
  parsePrefix,
  prefixOrEmptySchema,
  prefixSchema,
} from './ip.js';
export {
  type ConfigLayer,
  configLayerSchema,
  configLayers,
  layeredId,
  layerPriority,
  networkConfigNamespace,
  networkNamespace,
  operatorPrefixedId,
} from './layer.js';
export { type LinkSpec, type LinkSpecSpec, LinkSpecs, linkSpecSchema } from './link-spec.js';
export {
  type OperatorKind,
  type OperatorSpec,
  type OperatorSpecSpec,
  OperatorSpecs,
  operatorId,
  operatorKinds,
  operatorSpecSchema,
} from './operator-spec.js';
export {
  activePlatformConfigId,
  type PlatformConfig,
  type PlatformConfigSpec,
  PlatformConfigs,
  platformConfigSchema,
} from './platform-config.js';
export {
  type ResolverSpec,
  type ResolverSpecSpec,
  ResolverSpecs,
  resolverSpecId,
  resolverSpecSchema,
} from './resolver-spec.js';
export {
  defaultRouteMetric,
  type RouteIdFields,
  type RouteSpec,
  type RouteSpecSpec,
  RouteSpecs,
  routeId,
  routeSpecSchema,
} from './route-spec.js';
export {
  type TimeServerSpec,
  type TimeServerSpecSpec,
  TimeServerSpecs,
  timeServerSpecId,
  timeServerSpecSchema,
} from './time-server-spec.js';
