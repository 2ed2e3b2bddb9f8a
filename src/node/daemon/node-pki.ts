/**
 * The node daemon's certificates: a CA (the cluster's, or one of its own kept under the state
 * directory), a server certificate for the node's address, and an admin client certificate when the
 * CA is its own, so a lone node can be reached at once. Files are written atomically and reused.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCa, issueCertificate, type PemKeyPair } from '../../api/certificates.js';
import type { ApiTlsOptions } from '../../api/server.js';
import { readFileIfExists, writeFileAtomic } from '../../platform/disk/atomic-file.js';

/** Options of {@link loadNodePki}. */
export interface NodePkiOptions {
  /** Where the files live (`<stateDir>/pki`). */
  readonly dir: string;
  /** The node's address and name: the server certificate is valid for them and for localhost. */
  readonly hosts: readonly string[];
  /** A directory holding the cluster CA (`ca.crt`, `ca.key`); default: a CA of the node's own. */
  readonly caDir?: string;
}

/** What the daemon serves with. */
export interface NodePki {
  readonly tls: ApiTlsOptions;
  /** The CA certificate clients must trust. */
  readonly caCert: string;
  /** Where the admin client certificate and key are, when the CA is the node's own. */
  readonly adminFiles?: { readonly cert: string; readonly key: string };
}

async function readPair(dir: string, name: string): Promise<PemKeyPair | undefined> {
  const cert = await readFileIfExists(join(dir, `${name}.crt`));
  const key = await readFileIfExists(join(dir, `${name}.key`));
  if (cert === undefined || key === undefined) return undefined;
  return { cert: cert.toString('utf8'), key: key.toString('utf8') };
}

async function writePair(dir: string, name: string, pair: PemKeyPair): Promise<void> {
  await writeFileAtomic(join(dir, `${name}.crt`), pair.cert, { mode: 0o644 });
  await writeFileAtomic(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
}

/** Sorted, comma-joined hosts: the server certificate is issued again when they change. */
function hostsKey(hosts: readonly string[]): string {
  return [...new Set(hosts)].sort().join(',');
}

async function clusterCa(caDir: string): Promise<PemKeyPair> {
  try {
    return {
      cert: await readFile(join(caDir, 'ca.crt'), 'utf8'),
      key: await readFile(join(caDir, 'ca.key'), 'utf8'),
    };
  } catch (error) {
    throw new Error(
      `cannot read the cluster CA in ${caDir} (ca.crt and ca.key): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Loads the node's certificates, creating what is missing. */
export async function loadNodePki(options: NodePkiOptions): Promise<NodePki> {
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const hosts = [...new Set([...options.hosts, 'localhost'])];
  let ca: PemKeyPair;
  let own = false;
  if (options.caDir !== undefined) {
    ca = await clusterCa(options.caDir);
  } else {
    own = true;
    const existing = await readPair(options.dir, 'ca');
    ca = existing ?? (await generateCa({ commonName: 'converge node CA' }));
    if (existing === undefined) await writePair(options.dir, 'ca', ca);
  }
  const hostsFile = join(options.dir, 'server.hosts');
  const previousHosts = (await readFileIfExists(hostsFile))?.toString('utf8');
  const previousCa = (await readFileIfExists(join(options.dir, 'server.ca')))?.toString('utf8');
  let server = await readPair(options.dir, 'server');
  if (server === undefined || previousHosts !== hostsKey(hosts) || previousCa !== ca.cert) {
    server = await issueCertificate(ca, { usage: 'server', commonName: options.hosts[0] ?? 'node', hosts });
    await writePair(options.dir, 'server', server);
    await writeFileAtomic(hostsFile, hostsKey(hosts), { mode: 0o644 });
    await writeFileAtomic(join(options.dir, 'server.ca'), ca.cert, { mode: 0o644 });
  }
  let adminFiles: NodePki['adminFiles'];
  if (own) {
    if ((await readPair(options.dir, 'admin')) === undefined) {
      const admin = await issueCertificate(ca, { usage: 'client', commonName: 'admin', roles: ['admin'] });
      await writePair(options.dir, 'admin', admin);
    }
    adminFiles = { cert: join(options.dir, 'admin.crt'), key: join(options.dir, 'admin.key') };
  }
  return {
    tls: { ca: ca.cert, cert: server.cert, key: server.key },
    caCert: ca.cert,
    ...(adminFiles !== undefined ? { adminFiles } : {}),
  };
}
