import { join } from 'node:path';
import { etcdPkiFiles } from '../../controllers/etcd/pki-controller.js';
import { type EtcdSpec, etcdUrl } from '../../resources/etcd/etcd-spec.js';

/** How the member starts: a new cluster of itself, or as a member of an existing one. */
export interface EtcdStartMode {
  readonly clusterState: 'new' | 'existing';
  /** `name=peerURL,...`. */
  readonly initialCluster: string;
}

/** The flags the node owns (research §3.4); extraArgs may not set them. */
const ownedFlags = new Set([
  'name',
  'data-dir',
  'listen-client-urls',
  'listen-peer-urls',
  'client-cert-auth',
  'trusted-ca-file',
  'cert-file',
  'key-file',
  'peer-client-cert-auth',
  'peer-trusted-ca-file',
  'peer-cert-file',
  'peer-key-file',
  'auto-tls',
  'peer-auto-tls',
]);

/**
 * The command line of a member: the owned flags (name, data dir, TLS for clients and peers, listen
 * URLs) merged with the spec's extraArgs, which may override the cluster-formation flags only.
 */
export function etcdArgs(
  spec: EtcdSpec['spec'],
  mode: EtcdStartMode,
  dataDir: string,
  pkiDir: string,
): string[] {
  const pki = (f: string) => join(pkiDir, f);
  const urls = (addresses: readonly string[], port: number) =>
    addresses.map((a) => etcdUrl(a, port)).join(',');
  const flags = new Map<string, string>([
    ['name', spec.name],
    ['data-dir', dataDir],
    ['listen-client-urls', urls(spec.listenClientAddresses, spec.clientPort)],
    ['listen-peer-urls', urls(spec.listenPeerAddresses, spec.peerPort)],
    ['advertise-client-urls', urls(spec.advertisedAddresses, spec.clientPort)],
    ['initial-advertise-peer-urls', urls(spec.advertisedAddresses, spec.peerPort)],
    ['initial-cluster', mode.initialCluster],
    ['initial-cluster-state', mode.clusterState],
    ['client-cert-auth', 'true'],
    ['trusted-ca-file', pki(etcdPkiFiles.ca)],
    ['cert-file', pki(etcdPkiFiles.serverCert)],
    ['key-file', pki(etcdPkiFiles.serverKey)],
    ['peer-client-cert-auth', 'true'],
    ['peer-trusted-ca-file', pki(etcdPkiFiles.ca)],
    ['peer-cert-file', pki(etcdPkiFiles.peerCert)],
    ['peer-key-file', pki(etcdPkiFiles.peerKey)],
    // Peers dial from any of their addresses (loopback ones from 127.0.0.1), as in Talos.
    ['experimental-peer-skip-client-san-verification', 'true'],
    ['logger', 'zap'],
    ['log-level', 'warn'],
  ]);
  for (const [flag, value] of Object.entries(spec.extraArgs)) {
    if (ownedFlags.has(flag)) {
      throw new Error(`cluster.etcd.extraArgs may not set --${flag}: the node owns it`);
    }
    flags.set(flag, value);
  }
  return [...flags].map(([flag, value]) => `--${flag}=${value}`);
}
