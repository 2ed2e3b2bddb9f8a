import { describe, expect, it } from 'vitest';
import { type ConfigError, isConfigError } from '../../../src/resources/config/config-error.js';
import { parsePlatformMetadata } from '../../../src/resources/config/platform-metadata.js';

function issueOf(text: string): string {
  let caught: unknown;
  try {
    parsePlatformMetadata(text);
  } catch (error) {
    caught = error;
  }
  expect(isConfigError(caught)).toBe(true);
  const i = (caught as ConfigError).issues[0]!;
  return `${i.path} @${i.line}:${i.column} ${i.message}`;
}

describe('parsePlatformMetadata', () => {
  it('should parse hostname, addresses, routes and resolvers with defaults', () => {
    const meta = parsePlatformMetadata(
      JSON.stringify({
        hostname: 'vm-1.example.org',
        addresses: [{ linkName: 'eth0', address: '192.168.1.5/24' }],
        routes: [{ gateway: '192.168.1.1', linkName: 'eth0' }],
        resolvers: ['192.168.1.1'],
      }),
    );
    expect(meta).toEqual({
      hostname: 'vm-1.example.org',
      links: [],
      addresses: [{ linkName: 'eth0', address: '192.168.1.5/24' }],
      routes: [{ network: '', gateway: '192.168.1.1', linkName: 'eth0' }],
      resolvers: ['192.168.1.1'],
      searchDomains: [],
      timeServers: [],
      dhcp: [],
      externalIPs: [],
    });
  });

  it('should refuse unknown fields, bad CIDRs and bad JSON at their lines', () => {
    const pretty = (v: unknown) => JSON.stringify(v, null, 2);
    expect(issueOf(pretty({ hostname: 'a', adresses: [] }))).toBe('adresses @3:3 unknown field "adresses"');
    expect(issueOf(pretty({ addresses: [{ linkName: 'eth0', address: '192.168.1.5' }] }))).toBe(
      'addresses[0].address @5:18 invalid CIDR "192.168.1.5"',
    );
    expect(issueOf('{\n  "hostname": "a",\n  "resolvers": [}\n}')).toMatch(/^ @3:/);
    expect(issueOf('')).toBe(' @1:1 empty metadata');
  });
});
