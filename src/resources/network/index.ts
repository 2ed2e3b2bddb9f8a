export {
  type AddressSpec,
  type AddressSpecSpec,
  AddressSpecs,
  addressId,
  addressSpecSchema,
} from './address-spec.js';
export { type AddressStatus, AddressStatuses } from './address-status.js';
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
export { fqdn, type HostnameStatus, HostnameStatuses } from './hostname-status.js';
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
export { isLinkUp, isPhysicalLink, type LinkStatus, LinkStatuses } from './link-status.js';
export { type NetworkStatus, NetworkStatuses, networkStatusId } from './network-status.js';
export {
  filteredNodeAddressId,
  type NodeAddress,
  NodeAddresses,
  type NodeAddressKind,
  nodeAddressAccumulativeId,
  nodeAddressCurrentId,
  nodeAddressDefaultId,
  nodeAddressRoutedId,
} from './node-address.js';
export {
  type NodeAddressFilter,
  NodeAddressFilters,
  noK8sFilterId,
  onlyK8sFilterId,
} from './node-address-filter.js';
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
export { type ResolverStatus, ResolverStatuses } from './resolver-status.js';
export {
  defaultRouteMetric,
  type RouteIdFields,
  type RouteSpec,
  type RouteSpecSpec,
  RouteSpecs,
  routeId,
  routeSpecSchema,
} from './route-spec.js';
export { type RouteStatus, RouteStatuses } from './route-status.js';
export {
  type TimeServerSpec,
  type TimeServerSpecSpec,
  TimeServerSpecs,
  timeServerSpecId,
  timeServerSpecSchema,
} from './time-server-spec.js';
export { type TimeServerStatus, TimeServerStatuses } from './time-server-status.js';
