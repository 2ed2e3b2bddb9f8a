import { describe, expect, it } from 'vitest';
import { parseCmdlineNetwork } from '../../../src/resources/config/cmdline.js';
import { isConfigError } from '../../../src/resources/config/config-error.js';

describe('parseCmdlineNetwork', () => {
  it('should read ip=dhcp as DHCP on the first physical link', () => {
    expect(parseCmdlineNetwork('console=ttyS0 ip=dhcp quiet').links).toEqual([
      { name: '', addresses: [], gateway: '', dhcp: true },
    ]);
    expect(parseCmdlineNetwork('ip=eth1:dhcp').links).toEqual([
      { name: 'eth1', addresses: [], gateway: '', dhcp: true },
    ]);
    expect(parseCmdlineNetwork('ip=off ip=none').links).toEqual([]);
  });

  it('should read the full static form with dotted and length netmasks', () => {
    const net = parseCmdlineNetwork(
      'ip=10.0.0.5::10.0.0.1:255.255.255.0:node-1.example.org:eth0:off:10.0.0.53:1.1.1.1:ntp.example.org',
    );
    expect(net.links).toEqual([
      { name: 'eth0', addresses: ['10.0.0.5/24'], gateway: '10.0.0.1', dhcp: false },
    ]);
    expect(net).toMatchObject({
      hostname: 'node-1',
      domainname: 'example.org',
      nameservers: ['10.0.0.53', '1.1.1.1'],
      timeServers: ['ntp.example.org'],
    });
    expect(parseCmdlineNetwork('ip=10.0.0.6::10.0.0.1:16::eth1').links[0]!.addresses).toEqual([
      '10.0.0.6/16',
    ]);
    expect(parseCmdlineNetwork('ip=10.0.0.7').links[0]).toEqual({
      name: '',
      addresses: ['10.0.0.7/32'],
      gateway: '',
      dhcp: false,
    });
  });

  it('should read IPv6 in brackets', () => {
    expect(parseCmdlineNetwork('ip=[fd00::5]::[fd00::1]:64::eth0:none').links).toEqual([
      { name: 'eth0', addresses: ['fd00::5/64'], gateway: 'fd00::1', dhcp: false },
    ]);
  });

  it('should let talos.hostname= win over the ip= hostname, and read ignore and vlan', () => {
    const net = parseCmdlineNetwork(
      'talos.hostname=worker-7 ip=10.0.0.5::10.0.0.1:24:other:eth0 talos.network.interface.ignore=eth2 vlan=eth0.100:eth0',
    );
    expect([net.hostname, net.domainname]).toEqual(['worker-7', '']);
    expect(net.ignoredLinks).toEqual(['eth2']);
    expect(net.vlans).toEqual([{ name: 'eth0.100', parent: 'eth0', vlanId: 100 }]);
  });

  it('should refuse bad values naming the argument and its column', () => {
    const cases: [string, string][] = [
      ['quiet ip=10.0.0.300::::', 'ip @1:7 invalid client address "10.0.0.300"'],
      ['ip=10.0.0.5::10.0.0.1:255.0.255.0::eth0', 'ip @1:1 invalid netmask "255.0.255.0"'],
      ['ip=10.0.0.5::gw:24', 'ip @1:1 invalid gateway "gw"'],
      ['ip=10.0.0.5:::24::eth0:sometimes', 'ip @1:1 unknown autoconf "sometimes"'],
      ['a=b vlan=eth0:eth0', 'vlan @1:5 invalid vlan "eth0:eth0" (expected <parent>.<id>:<parent>)'],
    ];
    for (const [cmdline, expected] of cases) {
      let caught: unknown;
      try {
        parseCmdlineNetwork(cmdline);
      } catch (error) {
        caught = error;
      }
      expect(isConfigError(caught), cmdline).toBe(true);
      if (!isConfigError(caught)) continue;
      const i = caught.issues[0]!;
      expect(`${i.path} @${i.line}:${i.column} ${i.message}`).toBe(expected);
    }
  });
});
