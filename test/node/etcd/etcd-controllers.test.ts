/**
 * The etcd chain of one node on the simulated platform and a virtual clock: EtcdConfig and EtcdSpec
 * from the machine config and the node's addresses, the etcd CA and this member's certificates,
 * the PKI files, and what the etcd service waits for.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { generateCa, type PemKeyPair } from '../../../src/api/certificates.js';
import { parseEtcdCa } from '../../../src/controllers/secrets/root-etcd-controller.js';
import { joinUrls } from '../../../src/node/etcd/etcd-join.js';
import {
  createNode,
  createSimulatedPlatform,
  EtcdConfigs,
  EtcdRootSecrets,
  EtcdSecrets,
  EtcdSpecs,
  type Node,
  PKIStatuses,
  type V1Alpha1ConfigInput,
} from '../../../src/node/index.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/index.js';
import { settle } from '../helpers.js';

let node: Node | undefined;
let dir: string | undefined;
afterEach(async () => {
  await node?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  node = undefined;
  dir = undefined;
});

interface ConfigOptions {
  readonly type?: 'controlplane' | 'worker';
  readonly addresses?: readonly string[];
  readonly vip?: string;
  readonly ca?: PemKeyPair;
  readonly etcd?: Record<string, unknown>;
  readonly nameservers?: readonly string[];
}

function config(o: ConfigOptions = {}): V1Alpha1ConfigInput {
  return {
    version: 'v1alpha1',
    machine: {
      type: o.type ?? 'controlplane',
      network: {
        hostname: 'cp-1',
        nameservers: [...(o.nameservers ?? ['10.0.0.1'])],
        interfaces: [
          {
            interface: 'eth0',
            addresses: [...(o.addresses ?? ['10.0.0.5/24'])],
            ...(o.vip === undefined ? {} : { vip: { ip: o.vip } }),
          },
        ],
      },
    },
    cluster: {
      etcd: { ...(o.ca === undefined ? {} : { ca: { crt: o.ca.cert, key: o.ca.key } }), ...o.etcd },
    },
  };
}

async function boot(
  c: V1Alpha1ConfigInput,
  loopbackNodeAddresses = false,
): Promise<{ node: Node; clock: VirtualClock }> {
  const clock = createVirtualClock();
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: [{ name: 'eth0' }],
    time: { synced: true },
    loopbackNodeAddresses,
  });
  dir = await mkdtemp(join(tmpdir(), 'converge-etcd-controllers-'));
  // The certificate test feeds a broken CA: its error is expected, not noise.
  node = await createNode({ config: c, platform, stateDir: dir, clock, logger: pino({ level: 'silent' }) });
  await node.start();
  await settle(node.runtime, clock, 20);
  return { node, clock };
}

async function spec(n: Node) {
  return (await n.state.list(EtcdSpecs.kind()))[0]?.spec;
}

describe('EtcdSpec', () => {
  it('advertises the first routed address, never a VIP, and listens everywhere by default', async () => {
    const { node: n } = await boot(config({ addresses: ['10.0.0.2/24', '10.0.0.5/24'], vip: '10.0.0.2' }));
    expect(await spec(n)).toMatchObject({
      name: 'cp-1',
      advertisedAddresses: ['10.0.0.5'],
      listenPeerAddresses: ['0.0.0.0'],
      listenClientAddresses: ['0.0.0.0'],
      clientPort: 2379,
      peerPort: 2380,
    });
    expect((await n.state.list(EtcdConfigs.kind()))[0]?.spec.advertiseExcludeSubnets).toEqual([
      '10.0.0.2/32',
    ]);
  });

  it('advertises every address in the advertised subnets and listens on the listen subnets plus loopback', async () => {
    const { node: n } = await boot(
      config({
        addresses: ['10.0.0.5/24', '192.168.1.5/24', '192.168.1.6/24'],
        etcd: { advertisedSubnets: ['192.168.1.0/24', '!192.168.1.6/32'], listenSubnets: ['10.0.0.0/8'] },
      }),
    );
    expect(await spec(n)).toMatchObject({
      advertisedAddresses: ['192.168.1.5'],
      listenPeerAddresses: ['10.0.0.5'],
      listenClientAddresses: ['127.0.0.1', '10.0.0.5'],
    });
  });

  it('follows a new address of the node', async () => {
    const { node: n, clock } = await boot(config());
    expect((await spec(n))?.advertisedAddresses).toEqual(['10.0.0.5']);
    await n.applyConfig(config({ addresses: ['10.0.0.9/24'] }));
    await settle(n.runtime, clock, 20);
    expect((await spec(n))?.advertisedAddresses).toEqual(['10.0.0.9']);
  });

  it('uses a loopback address of a physical link only on a platform that stands for one of several nodes on a host', async () => {
    const loopback = config({ addresses: ['127.0.0.11/32'], etcd: { listenSubnets: ['127.0.0.0/8'] } });
    const { node: shared } = await boot(loopback, true);
    // 127.0.0.1 is every node's on a shared host: no member listens on it.
    expect(await spec(shared)).toMatchObject({
      advertisedAddresses: ['127.0.0.11'],
      listenPeerAddresses: ['127.0.0.11'],
      listenClientAddresses: ['127.0.0.11'],
    });
    await shared.stop();
    node = undefined;
    await rm(dir!, { recursive: true, force: true });

    const { node: alone } = await boot(loopback, false);
    expect(await spec(alone)).toBeUndefined();
    expect(alone.supervisor.status('etcd').message).toContain('etcd spec');
  });

  it('is not made on a worker, which runs no etcd service', async () => {
    const { node: n } = await boot(config({ type: 'worker', ca: await generateCa() }));
    expect(await n.state.list(EtcdConfigs.kind())).toEqual([]);
    expect(await n.state.list(EtcdSpecs.kind())).toEqual([]);
    expect(await n.state.list(EtcdRootSecrets.kind())).toEqual([]);
    expect(n.supervisor.list().map((s) => s.id)).not.toContain('etcd');
  });
});

describe('etcd PKI', () => {
  it('issues server, peer and admin certificates from the configured CA with the node names and addresses', async () => {
    const ca = await generateCa({ commonName: 'etcd' });
    const { node: n } = await boot(config({ ca, addresses: ['10.0.0.5/24'] }));
    const secrets = (await n.state.list(EtcdSecrets.kind()))[0]!.spec;
    const caCert = new X509Certificate(ca.cert);
    for (const pair of [secrets.etcd, secrets.etcdPeer, secrets.etcdAdmin]) {
      const cert = new X509Certificate(pair.crt);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(
        cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(pair.key))),
      ).toBe(true);
    }
    const server = new X509Certificate(secrets.etcdPeer.crt);
    for (const san of ['DNS:cp-1', 'DNS:localhost', 'IP Address:10.0.0.5', 'IP Address:127.0.0.1']) {
      expect(server.subjectAltName).toContain(san);
    }
    // The files etcd reads, and the status the service waits for.
    expect((await n.state.list(PKIStatuses.kind()))[0]?.spec.ready).toBe(true);
    const pki = join(dir!, 'system', 'secrets', 'etcd');
    expect(await readFile(join(pki, 'ca.crt'), 'utf8')).toBe(caCert.toString());
    expect(await readFile(join(pki, 'peer.crt'), 'utf8')).toBe(secrets.etcdPeer.crt);
    // With everything in place the service leaves the waiting state and prepares to join.
    expect(n.supervisor.status('etcd').state).toBe('Preparing');
  });

  it('reissues the certificates for a new address, not for an unrelated change', async () => {
    const ca = await generateCa();
    const { node: n, clock } = await boot(config({ ca }));
    const version = async () => (await n.state.list(EtcdSecrets.kind()))[0]!.metadata.version;
    const before = await version();
    await n.applyConfig(config({ ca, nameservers: ['10.0.0.53'] }));
    await settle(n.runtime, clock, 20);
    expect(await version()).toBe(before);

    await n.applyConfig(config({ ca, addresses: ['10.0.0.9/24'] }));
    await settle(n.runtime, clock, 20);
    const secrets = (await n.state.list(EtcdSecrets.kind()))[0]!;
    expect(secrets.metadata.version).toBeGreaterThan(before);
    // Both addresses of this boot stay valid, so a member still dialled at the old one is accepted.
    const sans = new X509Certificate(secrets.spec.etcd.crt).subjectAltName;
    expect(sans).toContain('IP Address:10.0.0.9');
    expect(sans).toContain('IP Address:10.0.0.5');
  });

  it('accepts the CA as Talos writes it (base64 of PEM) and rejects a key of another certificate', async () => {
    const ca = await generateCa();
    const other = await generateCa();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(parseEtcdCa({ crt: b64(ca.cert), key: b64(ca.key) }).crt).toBe(
      new X509Certificate(ca.cert).toString(),
    );
    expect(() => parseEtcdCa({ crt: ca.cert, key: other.key })).toThrow(/does not belong/);
    expect(() => parseEtcdCa({ crt: 'nonsense', key: ca.key })).toThrow(/not a PEM certificate/);

    // On a node, a broken CA makes no root: the etcd service names what it waits for.
    const { node: n } = await boot(config({ ca: { cert: ca.cert, key: other.key } }));
    expect(await n.state.list(EtcdRootSecrets.kind())).toEqual([]);
    expect(n.supervisor.status('etcd').message).toContain('the etcd CA (cluster.etcd.ca with its key)');
  });
});

describe('join endpoints', () => {
  it('are client URLs of the configured hosts, with the default port unless given, without this node', () => {
    const spec = {
      joinEndpoints: ['10.0.0.1', '10.0.0.2:3379', 'fd00::3', '[fd00::4]:3379'],
      clientPort: 2379,
    };
    expect(joinUrls(EtcdConfigs.make('etcd', spec).spec, ['10.0.0.1'])).toEqual([
      'https://10.0.0.2:3379',
      'https://[fd00::3]:2379',
      'https://[fd00::4]:3379',
    ]);
  });
});
