import { describe, expect, it } from 'vitest';
import {
  AddressSpecs,
  addressId,
  configLayers,
  DeviceConfigSpecs,
  deviceConfigId,
  HostnameSpecs,
  LinkSpecs,
  layeredId,
  layerPriority,
  networkConfigNamespace,
  OperatorSpecs,
  operatorId,
  operatorPrefixedId,
  parsePrefix,
  ResolverSpecs,
  RouteSpecs,
  routeId,
  splitFqdn,
  TimeServerSpecs,
} from '../../../src/resources/network/index.js';
import { isValidationError } from '../../../src/runtime/errors.js';

describe('network spec resources', () => {
  it('should keep Talos type names in the network namespace by default', () => {
    expect(
      [
        LinkSpecs,
        AddressSpecs,
        RouteSpecs,
        HostnameSpecs,
        ResolverSpecs,
        TimeServerSpecs,
        OperatorSpecs,
        DeviceConfigSpecs,
      ].map((d) => `${d.type} ${d.defaultNamespace}`),
    ).toEqual([
      'LinkSpecs.net.talos.dev network',
      'AddressSpecs.net.talos.dev network',
      'RouteSpecs.net.talos.dev network',
      'HostnameSpecs.net.talos.dev network',
      'ResolverSpecs.net.talos.dev network',
      'TimeServerSpecs.net.talos.dev network',
      'OperatorSpecs.net.talos.dev network',
      'DeviceConfigSpecs.net.talos.dev network',
    ]);
    expect(LinkSpecs.aliases).toContain('linkspec');
  });

  it('should order layers default < cmdline < platform < operator < configuration', () => {
    expect(configLayers.map(layerPriority)).toEqual([0, 1, 2, 3, 4]);
    expect(layeredId('configuration', 'eth0')).toBe('configuration/eth0');
    expect(operatorPrefixedId('dhcp4/eth0', addressId('eth0', '10.0.0.5/24'))).toBe(
      'dhcp4/eth0/eth0/10.0.0.5/24',
    );
  });

  it('should fill zero values and default to the default layer', () => {
    const link = LinkSpecs.make(
      layeredId('default', 'lo'),
      { name: 'lo', up: true },
      { namespace: networkConfigNamespace },
    );
    expect(link.metadata.namespace).toBe('network-config');
    expect(link.spec).toMatchObject({ name: 'lo', up: true, mtu: 0, logical: false, layer: 'default' });
    expect(link.spec.bondSlave).toEqual({ masterName: '', slaveIndex: 0 });
  });

  it('should refuse a bad CIDR, a bad gateway and an unknown field', () => {
    const bad = [
      () => AddressSpecs.make('x', { address: '10.0.0.300/24', linkName: 'eth0', family: 'inet4' }),
      () => AddressSpecs.make('x', { address: '10.0.0.3/33', linkName: 'eth0', family: 'inet4' }),
      () => RouteSpecs.make('x', { family: 'inet4', gateway: 'nope' }),
      () => HostnameSpecs.make('hostname', { hostname: 'a', typo: 1 } as never),
    ];
    for (const make of bad) expect(make).toThrow(expect.objectContaining({ code: 'Validation' }));
    try {
      bad[0]!();
    } catch (error) {
      expect(isValidationError(error) && error.message).toContain('invalid CIDR "10.0.0.300/24"');
    }
  });

  it("should make Talos' natural ids", () => {
    expect(routeId({ family: 'inet4', dst: '', gateway: '10.0.0.1', priority: 1024 })).toBe(
      'inet4/10.0.0.1//1024',
    );
    expect(
      routeId({ family: 'inet6', dst: 'fd00::/64', gateway: '', priority: 1024, outLinkName: 'eth0' }),
    ).toBe('eth0/inet6//fd00::/64/1024');
    expect(routeId({ family: 'inet4', dst: '10.1.0.0/16', gateway: '', priority: 5, table: '100' })).toBe(
      '100/inet4//10.1.0.0/16/5',
    );
    expect(operatorId('dhcp4', 'eth0')).toBe('dhcp4/eth0');
    expect(operatorId('vip', 'eth0', '10.0.0.10')).toBe('vip/eth0/10.0.0.10');
    expect(deviceConfigId('eth0', 2)).toBe('eth0/002');
    expect(splitFqdn('cp-1.example.org')).toEqual({ hostname: 'cp-1', domainname: 'example.org' });
    expect(parsePrefix('fd00::1/64')).toEqual({ ip: 'fd00::1', bits: 64, family: 'inet6' });
    expect(parsePrefix('10.0.0.1')).toBeUndefined();
  });
});
