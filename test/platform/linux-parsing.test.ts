import { describe, expect, it } from 'vitest';
import { changesOfMonitorLine } from '../../src/platform/linux/ip-monitor.js';
import { parseAddresses, parseLinks, parseRoutes } from '../../src/platform/linux/parse-ip-json.js';
import { codeOfIpError } from '../../src/platform/linux/run-ip.js';

describe('iproute2 output', () => {
  it('maps the kernel’s messages to errno codes', () => {
    expect(codeOfIpError('RTNETLINK answers: File exists')).toBe('EEXIST');
    expect(codeOfIpError('Error: ipv4: Address already assigned.')).toBe('EEXIST');
    expect(codeOfIpError('Cannot find device "eth9"')).toBe('ENODEV');
    expect(codeOfIpError('RTNETLINK answers: No such process')).toBe('ESRCH');
    expect(codeOfIpError('Error: ipv4: Address not found.')).toBe('EADDRNOTAVAIL');
    expect(codeOfIpError('RTNETLINK answers: Cannot assign requested address')).toBe('EADDRNOTAVAIL');
    expect(codeOfIpError('Error: Nexthop has invalid gateway.')).toBe('ENETUNREACH');
    expect(codeOfIpError('Error: Device for nexthop is not up.')).toBe('ENETDOWN');
    expect(codeOfIpError('Error: Unknown device type.')).toBe('EOPNOTSUPP');
    expect(codeOfIpError('Cannot open network namespace "x": No such file or directory')).toBe('ENOENT');
    expect(codeOfIpError('RTNETLINK answers: Operation not permitted')).toBe('EPERM');
    expect(codeOfIpError('Error: mtu less than device minimum.')).toBe('EINVAL');
    expect(codeOfIpError('Error: Invalid prefix for given prefix length.')).toBe('EINVAL');
    expect(codeOfIpError('something else entirely')).toBe('EIO');
  });

  it('reads monitor lines into changes, implying routes for links and addresses, ignoring the local table', () => {
    expect(
      changesOfMonitorLine(
        '[LINK]3: e0@e0p: <BROADCAST,UP> mtu 1500 state UP \\    link/ether 92:0b:9a:59:1d:1a',
      ),
    ).toEqual([
      { kind: 'link', linkName: 'e0' },
      { kind: 'route', linkName: 'e0' },
    ]);
    expect(changesOfMonitorLine('[ADDR]Deleted 3: e0    inet 10.1.0.5/24 scope global e0')).toEqual([
      { kind: 'address', linkName: 'e0' },
      { kind: 'route', linkName: 'e0' },
    ]);
    expect(changesOfMonitorLine('[ROUTE]10.7.0.0/24 via 10.1.0.1 dev e0 ')).toEqual([
      { kind: 'route', linkName: 'e0' },
    ]);
    expect(changesOfMonitorLine('[ROUTE]local 10.1.0.5 dev e0 table local proto kernel scope host')).toEqual(
      [],
    );
    expect(
      changesOfMonitorLine('[ROUTE]multicast ff00::/8 dev e0 table local proto kernel metric 256'),
    ).toEqual([]);
    expect(changesOfMonitorLine('Timestamp: whatever')).toEqual([]);
  });

  it('reads links, with forced-physical names reported as NICs', () => {
    const text = JSON.stringify([
      {
        ifindex: 1,
        ifname: 'lo',
        flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
        mtu: 65536,
        operstate: 'UNKNOWN',
        link_type: 'loopback',
        address: '00:00:00:00:00:00',
      },
      {
        ifindex: 7,
        ifname: 'eth0',
        link: 'eth0-p',
        flags: ['NO-CARRIER', 'UP'],
        mtu: 1500,
        operstate: 'LOWERLAYERDOWN',
        link_type: 'ether',
        address: '92:6b:2e:06:16:a9',
        linkinfo: { info_kind: 'veth' },
      },
      {
        ifindex: 6,
        ifname: 'v5',
        link: 'eth0',
        master: 'br0',
        flags: [],
        mtu: 1500,
        operstate: 'DOWN',
        link_type: 'ether',
        address: '92:6b:2e:06:16:aa',
        linkinfo: { info_kind: 'vlan', info_data: { id: 5 } },
      },
    ]);
    expect(parseLinks(text, new Set(['eth0']))).toEqual([
      {
        name: 'lo',
        index: 1,
        kind: '',
        type: 'loopback',
        up: true,
        operationalState: 'unknown',
        carrier: true,
        mtu: 65536,
        hardwareAddr: '00:00:00:00:00:00',
        physical: false,
      },
      {
        name: 'v5',
        index: 6,
        kind: 'vlan',
        type: 'ether',
        up: false,
        operationalState: 'down',
        carrier: false,
        mtu: 1500,
        hardwareAddr: '92:6b:2e:06:16:aa',
        physical: false,
        masterName: 'br0',
        parentName: 'eth0',
        vlanId: 5,
      },
      {
        name: 'eth0',
        index: 7,
        kind: '',
        type: 'ether',
        up: true,
        operationalState: 'lowerlayerdown',
        carrier: false,
        mtu: 1500,
        hardwareAddr: '92:6b:2e:06:16:a9',
        physical: true,
      },
    ]);
    expect(() => parseLinks('{"not":"an array"}', new Set())).toThrow(/unreadable output/);
  });

  it('reads addresses with their flags and routes without the local table', () => {
    const addr = JSON.stringify([
      {
        ifindex: 2,
        ifname: 'eth0',
        addr_info: [
          {
            family: 'inet6',
            local: 'FD00:0::5',
            prefixlen: 64,
            scope: 'global',
            tentative: true,
            valid_life_time: 4294967295,
          },
          {
            family: 'inet',
            local: '10.1.0.6',
            prefixlen: 24,
            scope: 'global',
            secondary: true,
            valid_life_time: 3600,
          },
        ],
      },
    ]);
    expect(parseAddresses(addr)).toEqual([
      {
        linkName: 'eth0',
        address: '10.1.0.6/24',
        family: 'inet4',
        scope: 'global',
        flags: ['dynamic', 'secondary'],
      },
      { linkName: 'eth0', address: 'fd00::5/64', family: 'inet6', scope: 'global', flags: ['tentative'] },
    ]);
    const routes = JSON.stringify([
      { dst: 'default', gateway: '10.1.0.1', dev: 'eth0', flags: [] },
      {
        dst: '10.8.0.0/24',
        gateway: '10.1.0.1',
        dev: 'eth0',
        table: '100',
        metric: 7,
        protocol: 'static',
        flags: [],
      },
      { type: 'blackhole', dst: '10.66.0.0/16', flags: [] },
      {
        type: 'local',
        dst: '10.1.0.5',
        dev: 'eth0',
        table: 'local',
        protocol: 'kernel',
        scope: 'host',
        prefsrc: '10.1.0.5',
      },
    ]);
    expect(parseRoutes(routes, 'inet4')).toEqual([
      {
        family: 'inet4',
        destination: '',
        gateway: '10.1.0.1',
        source: '',
        outLinkName: 'eth0',
        table: 254,
        priority: 0,
        scope: 'global',
        type: 'unicast',
        protocol: 'boot',
      },
      {
        family: 'inet4',
        destination: '10.8.0.0/24',
        gateway: '10.1.0.1',
        source: '',
        outLinkName: 'eth0',
        table: 100,
        priority: 7,
        scope: 'global',
        type: 'unicast',
        protocol: 'static',
      },
      {
        family: 'inet4',
        destination: '10.66.0.0/16',
        gateway: '',
        source: '',
        outLinkName: '',
        table: 254,
        priority: 0,
        scope: 'global',
        type: 'blackhole',
        protocol: 'boot',
      },
    ]);
  });
});
