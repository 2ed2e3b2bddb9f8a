import { describe, expect, it } from 'vitest';
import {
  AddressStatuses,
  EtcFileSpecs,
  EtcFileStatuses,
  filteredNodeAddressId,
  HostnameStatuses,
  LinkStatuses,
  NetworkStatuses,
  NodeAddresses,
  NodeAddressFilters,
  ResolverStatuses,
  RouteStatuses,
  TimeServerStatuses,
  TimeStatuses,
} from '../../src/node/index.js';

describe('node status resources', () => {
  it('should keep Talos type names, namespaces and aliases', () => {
    const table = [
      [LinkStatuses, 'LinkStatuses.net.talos.dev', 'network', ['link', 'links']],
      [AddressStatuses, 'AddressStatuses.net.talos.dev', 'network', ['address', 'addresses']],
      [RouteStatuses, 'RouteStatuses.net.talos.dev', 'network', ['route', 'routes']],
      [HostnameStatuses, 'HostnameStatuses.net.talos.dev', 'network', ['hostname']],
      [ResolverStatuses, 'ResolverStatuses.net.talos.dev', 'network', ['resolvers']],
      [TimeServerStatuses, 'TimeServerStatuses.net.talos.dev', 'network', ['timeservers']],
      [NodeAddresses, 'NodeAddresses.net.talos.dev', 'network', ['nodeaddress']],
      [NodeAddressFilters, 'NodeAddressFilters.net.talos.dev', 'network', ['nodeaddressfilter']],
      [NetworkStatuses, 'NetworkStatuses.net.talos.dev', 'network', ['netstatus']],
      [TimeStatuses, 'TimeStatuses.v1alpha1.talos.dev', 'runtime', ['timestatus']],
      [EtcFileSpecs, 'EtcFileSpecs.files.talos.dev', 'files', ['etcfilespec']],
      [EtcFileStatuses, 'EtcFileStatuses.files.talos.dev', 'files', ['etcfilestatus']],
    ] as const;
    for (const [definition, type, namespace, aliases] of table) {
      expect(definition.type).toBe(type);
      expect(definition.defaultNamespace).toBe(namespace);
      for (const alias of aliases) expect(definition.allAliases).toContain(alias);
    }
  });

  it('should fill defaults the way Talos prints empty statuses', () => {
    expect(NetworkStatuses.make('status', {}).spec).toEqual({
      addressReady: false,
      connectivityReady: false,
      hostnameReady: false,
      etcFilesReady: false,
    });
    expect(TimeStatuses.make('node', {}).spec).toEqual({ synced: false, epoch: 0, syncDisabled: false });
  });

  it('should make Talos ids for filtered node addresses', () => {
    expect(filteredNodeAddressId('routed', 'no-k8s')).toBe('routed-no-k8s');
  });
});
