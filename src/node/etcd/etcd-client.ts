/**
 * etcd clients of the node: TLS with the node's admin certificate, every call bounded by a deadline,
 * always closed after use.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { etcdPkiFiles } from '../../controllers/etcd/pki-controller.js';
import type { Clock } from '../../runtime/clock.js';

/** How long one etcd call may take. */
const callTimeoutMs = 5_000;

/** Opens a client to `hosts` (`https://ip:port`) with the admin certificate in `pkiDir`. */
export async function openEtcdClient(hosts: readonly string[], pkiDir: string, clock: Clock): Promise<Etcd3> {
  const [rootCertificate, certChain, privateKey] = await Promise.all(
    [etcdPkiFiles.ca, etcdPkiFiles.adminCert, etcdPkiFiles.adminKey].map((f) => readFile(join(pkiDir, f))),
  );
  return new Etcd3({
    hosts: [...hosts],
    credentials: { rootCertificate: rootCertificate!, certChain: certChain!, privateKey: privateKey! },
    dialTimeout: callTimeoutMs,
    defaultCallOptions: () => ({ deadline: new Date(clock.now() + callTimeoutMs) }),
  });
}

/** Runs `use` with a client to `hosts` and closes it afterwards. */
export async function withEtcdClient<T>(
  hosts: readonly string[],
  pkiDir: string,
  clock: Clock,
  use: (client: Etcd3) => Promise<T>,
): Promise<T> {
  const client = await openEtcdClient(hosts, pkiDir, clock);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** A member id as etcd returns it (decimal text) in the hex etcdctl prints. */
export function memberIdHex(id: string): string {
  return BigInt(id).toString(16);
}

/** The decimal text etcd's API takes for a hex member id. */
export function memberIdDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}
