/** Network status and derived resources. */
export { type AddressStatus, AddressStatuses, addressId } from './address-status.js';
export { AddressFamily } from './family.js';
export { fqdn, type HostnameStatus, HostnameStatuses } from './hostname-status.js';
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
export { type ResolverStatus, ResolverStatuses } from './resolver-status.js';
export { type RouteKey, type RouteStatus, RouteStatuses, routeId } from './route-status.js';
export { type TimeServerStatus, TimeServerStatuses } from './time-server-status.js';
