import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { type Role, roleOrganization, roles } from './roles.js';

let loaded: Promise<typeof X509> | undefined;

/** Loads @peculiar/x509 on first use (it needs reflect-metadata first), so importing converge stays cheap. */
function loadX509(): Promise<typeof X509> {
  loaded ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as never);
    return x509;
  })();
  return loaded;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

/** A certificate and its private key, both PEM (the key is PKCS#8). */
export interface PemKeyPair {
  readonly cert: string;
  readonly key: string;
}

/** Everything the API needs: a CA, a server certificate, and one client certificate per role. */
export interface CertificateBundle {
  readonly ca: PemKeyPair;
  readonly server: PemKeyPair;
  readonly clients: Readonly<Record<Role, PemKeyPair>>;
}

/** Options of {@link generateCertificates}. */
export interface GenerateCertificatesOptions {
  /** Names and addresses the server certificate is valid for (default `localhost`, `127.0.0.1`, `::1`). */
  hosts?: readonly string[];
  /** Validity of every certificate in days (default 365; the CA gets ten times as long). */
  validityDays?: number;
  /** The roles to issue client certificates for (default all three). */
  roles?: readonly Role[];
  /** The moment certificates start being valid (default now); they are backdated a minute for clock skew. */
  now?: Date;
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /**
   * `server` certificates carry the hosts as subject alternative names; `client` ones carry roles;
   * `peer` ones (etcd members) are both and carry hosts.
   */
  usage: 'server' | 'client' | 'peer';
  commonName: string;
  /** Roles written into the Organization field as `converge:<role>` (client certificates). */
  roles?: readonly Role[];
  /** Subject alternative names (server certificates): DNS names or IP addresses. */
  hosts?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
}

const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 86_400_000;
const skewMs = 60_000;

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const x509 = await loadX509();
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

/** Creates a self-signed certificate authority (ECDSA P-256). */
export async function generateCa(
  options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {},
): Promise<PemKeyPair> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const notBefore = options.notBefore ?? new Date(Date.now() - skewMs);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 3650 * dayMs);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [options.commonName ?? 'converge CA'] }, { O: ['converge'] }],
    notBefore,
    notAfter,
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyToPem(keys.privateKey) };
}

/**
 * Issues a server or client certificate signed by `ca`. Client certificates carry their roles in the
 * Organization field (`O=converge:admin`), as Talos carries `os:admin`.
 */
export async function issueCertificate(
  ca: PemKeyPair,
  options: IssueCertificateOptions,
): Promise<PemKeyPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.key),
    algorithm,
    false,
    ['sign'],
  );
  const keys = await newKeys();
  const notBefore = options.notBefore ?? new Date(Date.now() - skewMs);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 365 * dayMs);
  const name: X509.JsonName = [{ CN: [options.commonName] }];
  for (const role of options.roles ?? []) name.push({ O: [roleOrganization(role)] });
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      [
        ...(options.usage === 'client' ? [] : [x509.ExtendedKeyUsage.serverAuth]),
        ...(options.usage === 'server' ? [] : [x509.ExtendedKeyUsage.clientAuth]),
      ],
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  if (options.hosts !== undefined && options.hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        options.hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
        false,
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name,
    issuer: caCert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await keyToPem(keys.privateKey) };
}

/**
 * Generates a CA, a server certificate for `hosts`, and a client certificate per role
 * (`converge gen certs` writes them to files).
 */
export async function generateCertificates(
  options: GenerateCertificatesOptions = {},
): Promise<CertificateBundle> {
  const validityDays = options.validityDays ?? 365;
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw new RangeError(`validityDays must be a positive number, got ${validityDays}`);
  }
  const notBefore = new Date((options.now?.getTime() ?? Date.now()) - skewMs);
  const notAfter = new Date(notBefore.getTime() + validityDays * dayMs);
  const ca = await generateCa({
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10 * validityDays * dayMs),
  });
  const server = await issueCertificate(ca, {
    usage: 'server',
    commonName: 'converge server',
    hosts: options.hosts ?? ['localhost', '127.0.0.1', '::1'],
    notBefore,
    notAfter,
  });
  const clients = {} as Record<Role, PemKeyPair>;
  for (const role of options.roles ?? roles) {
    clients[role] = await issueCertificate(ca, {
      usage: 'client',
      commonName: role,
      roles: [role],
      notBefore,
      notAfter,
    });
  }
  return { ca, server, clients };
}
