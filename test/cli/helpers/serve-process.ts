import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCertificates } from '../../../src/api/certificates.js';
import { waitFor } from '../../api/helpers/recorder.js';
import { spawnCli } from './run-cli.js';

/** `converge serve` in a child process, and the environment that points the CLI at it. */
export interface ServeProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** What the server wrote on stderr so far (its pino log). */
  log(): string;
  /** The CLI environment with a role's certificate. */
  env(role: 'admin' | 'operator' | 'reader'): Record<string, string>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Writes certificates as `converge gen certs` lays them out; returns the directory. */
export async function writeCertificates(dir: string): Promise<string> {
  const certs = join(dir, 'certs');
  mkdirSync(certs, { recursive: true });
  const bundle = await generateCertificates({ hosts: ['127.0.0.1', 'localhost'] });
  writeFileSync(join(certs, 'ca.crt'), bundle.ca.cert);
  writeFileSync(join(certs, 'server.crt'), bundle.server.cert);
  writeFileSync(join(certs, 'server.key'), bundle.server.key);
  for (const role of ['admin', 'operator', 'reader'] as const) {
    writeFileSync(join(certs, `${role}.crt`), bundle.clients[role].cert);
    writeFileSync(join(certs, `${role}.key`), bundle.clients[role].key);
  }
  return certs;
}

/** Starts `converge serve --listen 127.0.0.1:<port> --certs <certs> ...args` and waits until it listens. */
export async function startServe(
  dir: string,
  certs: string,
  args: readonly string[],
  port = 0,
): Promise<ServeProcess> {
  const child = spawnCli(['serve', '--certs', certs, '--listen', `127.0.0.1:${port}`, ...args], {
    HOME: dir,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  await waitFor(() => gone || /on https:\/\/\S+\n/.test(out), 'converge serve to listen', 30_000);
  if (gone) throw new Error(`converge serve exited: ${err}`);
  const url = /on (https:\/\/\S+)\n/.exec(out)![1]!;
  return {
    url,
    process: child,
    log: () => err,
    env: (role) => ({
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'empty-config'),
      CONVERGE_ENDPOINT: url,
      CONVERGE_CA: join(certs, 'ca.crt'),
      CONVERGE_CERT: join(certs, `${role}.crt`),
      CONVERGE_KEY: join(certs, `${role}.key`),
    }),
    async stop() {
      if (!gone) child.kill('SIGTERM');
      return exited;
    },
  };
}
