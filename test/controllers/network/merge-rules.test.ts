import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  mergeAddressSpecs,
  mergeHostnameSpecs,
  mergeLinkSpecs,
  mergeResolverSpecs,
  mergeTimeServerSpecs,
} from '../../../src/controllers/network/merge-rules.js';
import {
  AddressSpecs,
  type ConfigLayer,
  configLayers,
  HostnameSpecs,
  LinkSpecs,
  layerPriority,
  ResolverSpecs,
  TimeServerSpecs,
} from '../../../src/resources/network/index.js';

const link = (spec: Parameters<typeof LinkSpecs.make>[1]) => LinkSpecs.make('x', spec).spec;
const resolvers = (layer: ConfigLayer, dnsServers: string[], searchDomains: string[] = []) =>
  ResolverSpecs.make('x', { layer, dnsServers, searchDomains }).spec;
const times = (layer: ConfigLayer, timeServers: string[], useNTS = false) =>
  TimeServerSpecs.make('x', { layer, timeServers, useNTS }).spec;

describe('merge rules', () => {
  it('should merge links field by field: higher non-zero fields win', () => {
    const merged = mergeLinkSpecs([
      link({ name: 'eth0', up: true, layer: 'default' }),
      link({ name: 'eth0', mtu: 1400, layer: 'operator' }),
      link({
        name: 'eth0',
        mtu: 9000,
        layer: 'configuration',
        bondSlave: { masterName: 'bond0', slaveIndex: 1 },
      }),
    ]);
    expect(merged).toMatchObject({
      up: true,
      mtu: 9000,
      layer: 'configuration',
      bondSlave: { masterName: 'bond0', slaveIndex: 1 },
    });
    // A config that says nothing of MTU keeps the DHCP one.
    expect(
      mergeLinkSpecs([
        link({ name: 'eth0', mtu: 1400, layer: 'operator' }),
        link({ name: 'eth0', up: true, layer: 'configuration' }),
      ]),
    ).toMatchObject({ mtu: 1400, up: true });
    expect(mergeLinkSpecs([])).toBeNull();
  });

  it('should drop kernel-managed address flags', () => {
    const spec = AddressSpecs.make('x', {
      address: '10.0.0.5/24',
      linkName: 'eth0',
      family: 'inet4',
      flags: ['permanent', 'tentative'],
    }).spec;
    expect(mergeAddressSpecs([spec])?.flags).toEqual(['permanent']);
  });

  it('should pick the highest layer with a non-empty hostname', () => {
    const h = (layer: ConfigLayer, hostname: string) =>
      HostnameSpecs.make('hostname', { hostname, layer }).spec;
    expect(
      mergeHostnameSpecs([h('default', 'talos-10-0-0-5'), h('platform', 'vm'), h('configuration', '')]),
    ).toMatchObject({ hostname: 'vm' });
    expect(mergeHostnameSpecs([h('default', '')])).toBeNull();
  });

  it('should merge resolvers family by family below the configuration layer', () => {
    expect(
      mergeResolverSpecs([resolvers('default', ['1.1.1.1', '8.8.8.8']), resolvers('operator', ['fd00::53'])]),
    ).toEqual({
      dnsServers: ['1.1.1.1', '8.8.8.8', 'fd00::53'],
      searchDomains: [],
      layer: 'operator',
    });
    expect(
      mergeResolverSpecs([resolvers('default', ['1.1.1.1', 'fd00::1']), resolvers('cmdline', ['10.0.0.53'])])
        ?.dnsServers,
    ).toEqual(['10.0.0.53', 'fd00::1']);
    // Two DHCP links: the same layer appends.
    expect(
      mergeResolverSpecs([
        resolvers('default', ['1.1.1.1']),
        resolvers('operator', ['10.0.0.1'], ['a.lan']),
        resolvers('operator', ['10.1.0.1'], ['b.lan']),
      ]),
    ).toEqual({ dnsServers: ['10.0.0.1', '10.1.0.1'], searchDomains: ['a.lan', 'b.lan'], layer: 'operator' });
  });

  it('should let the configuration layer replace name servers only if it lists any, search domains only if set', () => {
    const below = resolvers('operator', ['10.0.0.1', 'fd00::1'], ['lan']);
    expect(mergeResolverSpecs([below, resolvers('configuration', ['9.9.9.9'])])).toEqual({
      dnsServers: ['9.9.9.9'],
      searchDomains: ['lan'],
      layer: 'configuration',
    });
    expect(mergeResolverSpecs([below, resolvers('configuration', [], ['corp'])])).toEqual({
      dnsServers: ['10.0.0.1', 'fd00::1'],
      searchDomains: ['corp'],
      layer: 'configuration',
    });
  });

  it('should take the time servers of the highest layer listing any, concatenated within it', () => {
    expect(
      mergeTimeServerSpecs([
        times('default', ['time.cloudflare.com']),
        times('operator', ['10.0.0.1'], true),
        times('operator', ['10.1.0.1'], false),
      ]),
    ).toEqual({ timeServers: ['10.0.0.1', '10.1.0.1'], useNTS: false, layer: 'operator' });
    expect(
      mergeTimeServerSpecs([times('default', ['time.cloudflare.com']), times('configuration', [])]),
    ).toMatchObject({
      timeServers: ['time.cloudflare.com'],
      layer: 'default',
    });
  });

  it('should let the highest layer win (property)', () => {
    const layer = fc.constantFrom(...configLayers);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ layer, mtu: fc.integer({ min: 0, max: 3 }), hostname: fc.constantFrom('', 'a', 'b') }),
          { minLength: 1, maxLength: 8 },
        ),
        (entries) => {
          const sorted = [...entries].sort((a, b) => layerPriority(a.layer) - layerPriority(b.layer));
          const top = sorted[sorted.length - 1]!.layer;
          const merged = mergeLinkSpecs(
            sorted.map((e) => link({ name: 'eth0', mtu: e.mtu, layer: e.layer })),
          )!;
          expect(merged.layer).toBe(top);
          expect(merged.mtu).toBe([...sorted].reverse().find((e) => e.mtu !== 0)?.mtu ?? 0);
          const host = mergeHostnameSpecs(
            sorted.map((e) => HostnameSpecs.make('hostname', { hostname: e.hostname, layer: e.layer }).spec),
          );
          expect(host?.hostname ?? '').toBe(
            [...sorted].reverse().find((e) => e.hostname !== '')?.hostname ?? '',
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
