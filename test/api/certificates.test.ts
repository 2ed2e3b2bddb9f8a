import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCertificates } from '../../src/api/certificates.js';
import {
  isRole,
  roleFromOrganizations,
  roleIncludes,
  roleOrganization,
  writeRoleFor,
} from '../../src/api/roles.js';

describe('generateCertificates', () => {
  it('should issue a CA, a server certificate for the hosts and a client certificate per role, all signed by the CA', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const bundle = await generateCertificates({
      hosts: ['127.0.0.1', 'node.example'],
      validityDays: 30,
      now,
    });
    const ca = new X509Certificate(bundle.ca.cert);
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    const server = new X509Certificate(bundle.server.cert);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('IP Address:127.0.0.1, DNS:node.example');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(server.validTo).getTime() - new Date(server.validFrom).getTime()).toBe(30 * 86_400_000);
    expect(new Date(server.validFrom).getTime()).toBeLessThan(now.getTime());
    for (const role of ['reader', 'operator', 'admin'] as const) {
      const client = new X509Certificate(bundle.clients[role].cert);
      expect(client.checkIssued(ca) && client.verify(ca.publicKey)).toBe(true);
      expect(client.subject).toContain(`O=converge:${role}`);
      expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(bundle.clients[role].key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(client.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    }
  });

  it('should issue only the roles asked for and refuse a bad validity', async () => {
    const bundle = await generateCertificates({ roles: ['reader'] });
    expect(Object.keys(bundle.clients)).toEqual(['reader']);
    await expect(generateCertificates({ validityDays: 0 })).rejects.toThrow(/validityDays/);
  });
});

describe('roles', () => {
  it('should take the strongest converge role of the Organization values and ignore others', () => {
    expect(roleFromOrganizations('converge:reader')).toBe('reader');
    expect(roleFromOrganizations(['os:admin', 'converge:reader', 'converge:operator'])).toBe('operator');
    expect(roleFromOrganizations(['converge:root', 'acme'])).toBeUndefined();
    expect(roleFromOrganizations(undefined)).toBeUndefined();
    expect(roleOrganization('admin')).toBe('converge:admin');
    expect(isRole('operator') && !isRole('root')).toBe(true);
  });

  it('should let each role include the ones below it, and keep sensitive types and meta for admins', () => {
    expect(roleIncludes('admin', 'operator') && roleIncludes('operator', 'reader')).toBe(true);
    expect(roleIncludes('reader', 'operator') || roleIncludes(undefined, 'reader')).toBe(false);
    expect(writeRoleFor(false, 'default')).toBe('operator');
    expect(writeRoleFor(true, 'default')).toBe('admin');
    expect(writeRoleFor(false, 'meta')).toBe('admin');
  });
});
