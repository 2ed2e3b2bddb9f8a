import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { generateCertificates } from '../../api/certificates.js';
import { isRole, type Role, roles } from '../../api/roles.js';
import { CliError, exitCodes } from '../exit-codes.js';
import type { Output } from './output-sink.js';

/** Options of `converge gen certs`. */
export interface GenCertsOptions {
  /** The directory to write to (created if missing). */
  out: string;
  /** Server names and addresses, comma-separated. */
  hosts: string;
  /** Client roles to issue certificates for, comma-separated. */
  roles: string;
  /** Validity in days. */
  days: string;
  /** The endpoint written into the generated config file. */
  endpoint: string;
  /** Overwrite existing files. */
  force?: boolean;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * `converge gen certs`: writes a CA, a server certificate and a client certificate per role as PEM
 * files (keys readable by the owner only), and a `config.yaml` that uses the admin certificate.
 */
export async function genCertsCommand(options: GenCertsOptions, out: Output): Promise<void> {
  const wanted = list(options.roles);
  const bad = wanted.filter((r) => !isRole(r));
  if (bad.length > 0 || wanted.length === 0) {
    throw new CliError(
      `--roles must list roles among ${roles.join(', ')}; got ${JSON.stringify(options.roles)}`,
      exitCodes.usage,
    );
  }
  const days = Number(options.days);
  if (!Number.isFinite(days) || days <= 0) {
    throw new CliError(
      `--days must be a positive number, got ${JSON.stringify(options.days)}`,
      exitCodes.usage,
    );
  }
  const hosts = list(options.hosts);
  if (hosts.length === 0) throw new CliError('--hosts must name at least one host', exitCodes.usage);
  const dir = resolve(options.out);
  const chosen = wanted as Role[];
  const files: [string, string, number][] = [];
  const bundle = await generateCertificates({ hosts, roles: chosen, validityDays: days });
  files.push(['ca.crt', bundle.ca.cert, 0o644], ['ca.key', bundle.ca.key, 0o600]);
  files.push(['server.crt', bundle.server.cert, 0o644], ['server.key', bundle.server.key, 0o600]);
  for (const role of chosen) {
    const pair = bundle.clients[role];
    files.push([`${role}.crt`, pair.cert, 0o644], [`${role}.key`, pair.key, 0o600]);
  }
  const clientRole: Role = chosen.includes('admin') ? 'admin' : chosen[chosen.length - 1]!;
  files.push([
    'config.yaml',
    stringify({
      endpoint: options.endpoint,
      ca: 'ca.crt',
      cert: `${clientRole}.crt`,
      key: `${clientRole}.key`,
    }),
    0o600,
  ]);
  if (!options.force) {
    const existing = files.filter(([name]) => existsSync(join(dir, name))).map(([name]) => name);
    if (existing.length > 0) {
      throw new CliError(
        `${dir} already holds ${existing.join(', ')}; pass --force to overwrite`,
        exitCodes.usage,
      );
    }
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, content, mode] of files) {
    writeFileSync(join(dir, name), content, { mode });
    chmodSync(join(dir, name), mode);
  }
  out.write(
    `wrote ${files.map(([name]) => name).join(', ')} to ${dir}\n` +
      `use it with: export CONVERGE_CONFIG=${join(dir, 'config.yaml')}\n`,
  );
}
