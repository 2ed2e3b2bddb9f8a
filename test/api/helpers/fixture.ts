import { z } from 'zod';
import {
  type CertificateBundle,
  generateCa,
  generateCertificates,
  issueCertificate,
  type PemKeyPair,
} from '../../../src/api/certificates.js';
import { createRemoteState, type RemoteStateOptions } from '../../../src/api/remote-state.js';
import type { Role } from '../../../src/api/roles.js';
import { type ApiServer, type ApiServerOptions, createApiServer } from '../../../src/api/server.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { createState } from '../../../src/runtime/state/create-state.js';
import type { State } from '../../../src/runtime/state/state.js';

/** An ordinary type for API tests. */
export const Items = defineResource({
  type: 'Items.api.test.converge.dev',
  spec: z.object({ value: z.number().int(), note: z.string().default('') }),
  printColumns: [{ name: 'Value', jsonPath: '{.value}' }],
});

/** A sensitive type: readers and operators see it redacted, only admins write it. */
export const Secrets = defineResource({
  type: 'Secrets.api.test.converge.dev',
  defaultNamespace: 'secrets',
  spec: z.object({ token: z.string() }),
  sensitive: true,
});

/** A type whose schema takes anything, so that only the API's own limits guard its specs. */
export const Anys = defineResource({
  type: 'Anys.api.test.converge.dev',
  spec: z.unknown(),
});

/** Certificates shared by the tests of one file: the bundle, plus certificates that must be refused. */
export interface TestCertificates extends CertificateBundle {
  /** A client certificate with role admin from a CA the server does not trust. */
  readonly foreign: PemKeyPair;
  /** An admin certificate from the right CA whose validity ended yesterday. */
  readonly expired: PemKeyPair;
  /** A certificate from the right CA with no role. */
  readonly noRole: PemKeyPair;
}

let cached: Promise<TestCertificates> | undefined;

/** Generates (once per file) the CA, server and client certificates of the tests. */
export function testCertificates(): Promise<TestCertificates> {
  cached ??= (async () => {
    const bundle = await generateCertificates({ hosts: ['127.0.0.1', 'localhost'] });
    const otherCa = await generateCa({ commonName: 'another CA' });
    const foreign = await issueCertificate(otherCa, {
      usage: 'client',
      commonName: 'intruder',
      roles: ['admin'],
    });
    const day = 86_400_000;
    const expired = await issueCertificate(bundle.ca, {
      usage: 'client',
      commonName: 'expired',
      roles: ['admin'],
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    });
    const noRole = await issueCertificate(bundle.ca, { usage: 'client', commonName: 'nobody' });
    return { ...bundle, foreign, expired, noRole };
  })();
  return cached;
}

/** A running server over a fresh in-memory store. */
export interface TestServer {
  readonly server: ApiServer;
  readonly state: State;
  readonly url: string;
  readonly certs: TestCertificates;
  /** A remote state with the given role's certificate. */
  client(role: Role, options?: Partial<RemoteStateOptions>): State;
  /** TLS options for a raw request with a client pair. */
  tlsFor(pair: PemKeyPair): { ca: string; cert: string; key: string };
  close(): Promise<void>;
}

/** Starts an API server on loopback (port 0) over `state` (a fresh store by default). */
export async function startTestServer(
  options: Partial<Omit<ApiServerOptions, 'tls'>> = {},
): Promise<TestServer> {
  const certs = await testCertificates();
  const state = (options.state as State | undefined) ?? createState();
  const server = createApiServer({ ...options, state, tls: { ca: certs.ca.cert, ...certs.server } });
  const url = await server.listen();
  const clients: State[] = [];
  return {
    server,
    state,
    url,
    certs,
    client(role, extra = {}) {
      const client = createRemoteState({
        url,
        tls: { ca: certs.ca.cert, ...certs.clients[role] },
        ...extra,
      });
      clients.push(client);
      return client;
    },
    tlsFor: (pair) => ({ ca: certs.ca.cert, cert: pair.cert, key: pair.key }),
    async close() {
      for (const c of clients) await c.close?.();
      await server.close();
    },
  };
}
