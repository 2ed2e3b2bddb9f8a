import { describe, expect, it } from 'vitest';
import { type ConfigError, isConfigError } from '../../../src/resources/config/config-error.js';
import { parseMachineConfig, safeParseMachineConfig } from '../../../src/resources/config/load-config.js';

/** The issues of a config that must fail, as `path @line:column message`. */
function issuesOf(text: string): string[] {
  const result = safeParseMachineConfig(text);
  if (result.success) throw new Error('expected the config to be refused');
  return result.error.issues.map((i) => `${i.document} ${i.path} @${i.line}:${i.column} ${i.message}`);
}

const controlPlane = `version: v1alpha1
machine:
  type: controlplane
  network:
    hostname: cp-1
    nameservers: [10.0.0.1]
    interfaces:
      - interface: eth0
        addresses: [10.0.0.11/24]
        routes:
          - network: 0.0.0.0/0
            gateway: 10.0.0.1
            metric: 1024
        mtu: 1500
        dhcp: false
        vip:
          ip: 10.0.0.10
        vlans:
          - vlanId: 100
            dhcp: true
  time:
    servers: [time.example.org]
  kubelet:
    nodeIP:
      validSubnets: [10.0.0.0/24]
    extraArgs:
      rotate-server-certificates: "true"
cluster:
  network:
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
  etcd:
    advertisedSubnets: [10.0.0.0/24]
`;

describe('parseMachineConfig', () => {
  it('should parse the v1alpha1 subset and fill defaults', () => {
    const config = parseMachineConfig(controlPlane);
    expect(config.machine.type).toBe('controlplane');
    const eth0 = config.machine.network.interfaces[0]!;
    expect(eth0).toMatchObject({
      interface: 'eth0',
      addresses: ['10.0.0.11/24'],
      mtu: 1500,
      vip: { ip: '10.0.0.10' },
    });
    expect(eth0.routes[0]).toEqual({ network: '0.0.0.0/0', gateway: '10.0.0.1', metric: 1024 });
    expect(eth0.vlans[0]).toMatchObject({ vlanId: 100, dhcp: true, addresses: [] });
    expect(config.machine.kubelet.nodeIP.validSubnets).toEqual(['10.0.0.0/24']);
    expect(config.cluster.network.dnsDomain).toBe('cluster.local');
    expect(config.cluster.etcd.listenSubnets).toEqual([]);
  });

  it('should refuse an unknown field at the line of its key', () => {
    const text = controlPlane.replace('        mtu: 1500\n', '        mtu: 1500\n        mtus: 9000\n');
    expect(issuesOf(text)).toEqual(['1 machine.network.interfaces[0].mtus @15:9 unknown field "mtus"']);
  });

  it('should name a bad CIDR at the line of the value', () => {
    const text = controlPlane.replace(
      'addresses: [10.0.0.11/24]',
      'addresses: [10.0.0.11/24, 10.0.0.300/24]',
    );
    expect(issuesOf(text)).toEqual([
      '1 machine.network.interfaces[0].addresses[1] @9:35 invalid CIDR "10.0.0.300/24"',
    ]);
  });

  it('should report every issue of a document, in order, with exact lines', () => {
    const text = `version: v1alpha1
machine:
  type: router
  network:
    interfaces:
      - interface: eth0
        routes:
          - network: 10.1.0.0/16
            gateway: fd00::1
      - addresses: [10.0.0.5/24]
  kubelet:
    nodeIP: { validSubnets: [10.0.0.0/33] }
`;
    expect(issuesOf(text)).toEqual([
      '1 machine.type @3:9 invalid option: expected one of "init"|"controlplane"|"worker"',
      '1 machine.network.interfaces[0].routes[0].gateway @9:22 gateway fd00::1 is not in the family of network 10.1.0.0/16',
      '1 machine.network.interfaces[1] @10:9 exactly one of interface and deviceSelector is required',
      '1 machine.kubelet.nodeIP.validSubnets[0] @12:30 invalid CIDR "10.0.0.0/33"',
    ]);
  });

  it('should point a missing field at its parent key', () => {
    expect(issuesOf('version: v1alpha1\nmachine:\n  network: {}\n')).toEqual([
      '1 machine.type @2:1 missing required field (one of "init"|"controlplane"|"worker")',
    ]);
  });

  it('should name the document in a multi-document stream', () => {
    const text = `---
apiVersion: v1alpha1
kind: HostnameConfig
hostname: a
---
${controlPlane.replace('  type: controlplane', '  type: controlplane\n  typo: 1')}`;
    expect(issuesOf(text)).toEqual(['1 kind @2:1 unsupported document kind "HostnameConfig"']);
    const second = `---\nversion: v1alpha1\nmachine: {type: worker}\n---\n# a comment only\n---\n${controlPlane.replace('  type: controlplane', '  type: controlplane\n  typo: 1')}`;
    expect(issuesOf(second)).toEqual(['3  @7:1 a second v1alpha1 document (the first is document 1)']);
    const typo = `---\n# nothing\n---\n${controlPlane.replace('  type: controlplane', '  type: controlplane\n  typo: 1')}`;
    expect(issuesOf(typo)).toEqual(['2 machine.typo @7:3 unknown field "typo"']);
  });

  it('should report YAML syntax errors and duplicate keys with their lines', () => {
    expect(issuesOf('version: v1alpha1\nmachine:\n  type: worker\n  type: init\n')[0]).toMatch(
      /^1 {2}@4:3 map keys must be unique/,
    );
    expect(issuesOf('version: v1alpha1\nmachine: [\n')[0]).toMatch(/^1 {2}@/);
  });

  it('should refuse an empty stream and a document that is no machine config', () => {
    expect(issuesOf('')).toEqual(['1  @1:1 no v1alpha1 document']);
    expect(issuesOf('- a\n- b\n')).toEqual(['1  @1:1 not a machine config document (no version: v1alpha1)']);
  });

  it('should throw a ConfigError whose message names source, document, path and line', () => {
    let caught: unknown;
    try {
      parseMachineConfig('version: v1alpha1\nmachine:\n  type: worker\n  tyme: {}\n', 'cp-1.yaml');
    } catch (error) {
      caught = error;
    }
    expect(isConfigError(caught)).toBe(true);
    expect((caught as ConfigError).message).toBe(
      'invalid cp-1.yaml:\n  document 1, machine.tyme (line 4, column 3): unknown field "tyme"',
    );
  });
});
