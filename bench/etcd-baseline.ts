/**
 * The plainest form of what the node does with etcd, for the benchmarks' baselines: Debian's `etcd`
 * spawned directly with the TLS flags the node gives it (client and peer certificates, client
 * certificate auth), one member or several formed with a static `--initial-cluster`, healthy when
 * an HTTPS `GET /health` with a client certificate answers `"health":"true"` on every member.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, issueCertificate, type PemKeyPair } from '../src/api/certificates.js';
import { etcdInstallCommand } from '../src/testing/etcd-server.js';

/** Debian's etcd (`etcd-server`): the binary the node's etcd service runs from the PATH. */
const etcdBinary = '/usr/bin/etcd';

/** The certificates of a plain cluster: one CA, per member a server and a peer pair, a client pair. */
export interface PlainEtcdPki {
  readonly ca: PemKeyPair;
  readonly members: readonly { readonly server: PemKeyPair; readonly peer: PemKeyPair }[];
  readonly client: PemKeyPair;
}

/** Makes the certificates of plain members on `addresses` (outside any timing: the node's are ready-made too). */
export async function plainEtcdPki(addresses: readonly string[]): Promise<PlainEtcdPki> {
  const ca = await generateCa({ commonName: 'bench etcd CA' });
  const members = [];
  for (const address of addresses) {
    const hosts = [address, 'localhost'];
    members.push({
      server: await issueCertificate(ca, { usage: 'server', commonName: address, hosts }),
      peer: await issueCertificate(ca, { usage: 'peer', commonName: address, hosts }),
    });
  }
  const client = await issueCertificate(ca, { usage: 'client', commonName: 'bench' });
  return { ca, members, client };
}

/** Ports every plain member uses on its own address. */
export interface EtcdPorts {
  readonly client: number;
  readonly peer: number;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Stops members: SIGTERM, then SIGKILL after `graceMs`. */
async function stopAll(children: readonly ChildProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited(child);
      clearTimeout(timer);
    }),
  );
}

/** The CA to trust and the client certificate to show, PEM. */
export interface HealthTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Whether the member at `address` answers `GET /health` with `"health":"true"`. */
export function etcdAnswersHealthy(address: string, port: number, tls: HealthTls): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: address,
        port,
        path: '/health',
        method: 'GET',
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        agent: false,
        timeout: 2_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve(response.statusCode === 200 && /"health":\s*"true"/.test(body)));
        response.on('error', () => resolve(false));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Resolves once `check` does, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`bench: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Ms from spawning plain members on `addresses` (a new cluster of all of them) until every one
 * answers `/health` healthy; every process and file is gone when it returns or throws.
 */
export async function plainEtcdCluster(
  addresses: readonly string[],
  ports: EtcdPorts,
  pki: PlainEtcdPki,
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-plain-etcd-'));
  const children: ChildProcess[] = [];
  let spawnError: Error | undefined;
  try {
    const names = addresses.map((_, i) => `plain-${i + 1}`);
    const initialCluster = addresses.map((a, i) => `${names[i]}=https://${a}:${ports.peer}`).join(',');
    const files = [];
    for (const [i, member] of pki.members.entries()) {
      const pkiDir = join(dir, names[i]!, 'pki');
      await mkdir(pkiDir, { recursive: true, mode: 0o700 });
      const write = async (name: string, text: string) => {
        await writeFile(join(pkiDir, name), text, { mode: 0o600 });
        return join(pkiDir, name);
      };
      files.push({
        ca: await write('ca.crt', pki.ca.cert),
        serverCert: await write('server.crt', member.server.cert),
        serverKey: await write('server.key', member.server.key),
        peerCert: await write('peer.crt', member.peer.cert),
        peerKey: await write('peer.key', member.peer.key),
      });
    }
    // The environment the node's process platform gives its children.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' };
    const start = performance.now();
    for (const [i, address] of addresses.entries()) {
      const f = files[i]!;
      const child = spawn(
        etcdBinary,
        [
          `--name=${names[i]}`,
          `--data-dir=${join(dir, names[i]!, 'data')}`,
          `--listen-client-urls=https://${address}:${ports.client}`,
          `--listen-peer-urls=https://${address}:${ports.peer}`,
          `--advertise-client-urls=https://${address}:${ports.client}`,
          `--initial-advertise-peer-urls=https://${address}:${ports.peer}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          '--client-cert-auth=true',
          `--trusted-ca-file=${f.ca}`,
          `--cert-file=${f.serverCert}`,
          `--key-file=${f.serverKey}`,
          '--peer-client-cert-auth=true',
          `--peer-trusted-ca-file=${f.ca}`,
          `--peer-cert-file=${f.peerCert}`,
          `--peer-key-file=${f.peerKey}`,
          '--experimental-peer-skip-client-san-verification=true',
          '--logger=zap',
          '--log-level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env },
      );
      child.once('error', (error) => {
        spawnError = new Error(
          `cannot run ${etcdBinary} (install it: ${etcdInstallCommand}): ${error.message}`,
        );
      });
      child.stdout?.resume();
      child.stderr?.resume();
      children.push(child);
    }
    const tls = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
    await Promise.all(
      addresses.map((a) =>
        until(async () => {
          if (spawnError !== undefined) throw spawnError;
          return etcdAnswersHealthy(a, ports.client, tls);
        }, `plain etcd on ${a} answering healthy`),
      ),
    );
    return performance.now() - start;
  } finally {
    await stopAll(children);
    await rm(dir, { recursive: true, force: true });
  }
}
