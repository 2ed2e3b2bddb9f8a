/**
 * A real three-member etcd cluster of nodes on loopback addresses (127.0.0.11-13, 127.0.0.14 after a
 * re-IP): bootstrap, two joins as learners with promotion, a member killed and restarted by the
 * supervisor, a re-IP, the upgrade guard and a graceful leave. Wall time, no timed assertions:
 * every wait is for a condition, with a generous deadline.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Etcd3, IMember } from 'etcd3';
import { afterAll, expect, it } from 'vitest';
import { wallClock } from '../../../src/index.js';
import { openEtcdClient } from '../../../src/node/etcd/etcd-client.js';
import { bootstrapEtcd, EtcdMembers, etcdUpgradeGuard, leaveEtcd } from '../../../src/node/index.js';
import {
  controlPlaneConfig,
  eventually,
  makeCa,
  startTestNode,
  stopTestNode,
  type TestNode,
} from './etcd-cluster.js';

// Ports of this file only: no other test listens on them.
const clientPort = 24379;
const peerPort = 24380;
const addresses = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const joinEndpoints = [...addresses, '127.0.0.14'];

const nodes: TestNode[] = [];
const clients: Etcd3[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  for (const t of nodes.splice(0)) await stopTestNode(t);
  // No etcd of this file is left: none runs on its data directories.
  expect(await etcdProcesses('converge-etcd-cp-')).toEqual([]);
}, 60_000);

/** The pids of etcd processes whose command line mentions `marker`. */
async function etcdProcesses(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(join('/proc', entry, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline.includes('etcd') && cmdline.includes(marker) && !cmdline.includes('vitest'))
      pids.push(Number(entry));
  }
  return pids;
}

const pkiDir = (t: TestNode) => join(t.dir, 'system', 'secrets', 'etcd');

async function client(t: TestNode, address: string): Promise<Etcd3> {
  const c = await openEtcdClient([`https://${address}:${clientPort}`], pkiDir(t), wallClock);
  clients.push(c);
  return c;
}

const describe = (members: readonly IMember[]) =>
  members.map((m) => `${m.name}${m.isLearner ? '(learner)' : ''}=${m.peerURLs.join('+')}`).sort();

/** The PID of a node's etcd process (found by its data directory). */
async function etcdPid(t: TestNode): Promise<number | undefined> {
  const pids = await etcdProcesses(t.dir);
  if (pids.length > 1) throw new Error(`several etcd processes of ${t.dir}: ${pids.join(', ')}`);
  return pids[0];
}

it('bootstraps, joins two learners, survives a killed member, follows a re-IP and lets a member leave', async () => {
  const ca = await makeCa();
  for (const [i, address] of addresses.entries()) {
    const config = controlPlaneConfig({
      hostname: `cp-${i + 1}`,
      address,
      ca,
      clientPort,
      peerPort,
      joinEndpoints,
    });
    nodes.push(await startTestNode(config, `cp-${i + 1}`));
  }
  const [cp1, cp2, cp3] = nodes as [TestNode, TestNode, TestNode];

  // Before the bootstrap, no control plane starts a cluster: each tries to join and waits.
  for (const t of nodes) {
    await eventually('etcd preparing to join', async () =>
      t.node.supervisor.status('etcd').state === 'Preparing' ? true : undefined,
    );
  }
  expect(await etcdProcesses('converge-etcd-cp-')).toEqual([]);

  await bootstrapEtcd(cp1.node);
  await expect(bootstrapEtcd(cp1.node)).rejects.toThrow(/already under way/);

  // cp-2 and cp-3 join as learners one at a time and are promoted.
  const c1 = await client(cp1, addresses[0]!);
  await eventually(
    'three voting members',
    async () => {
      const { members } = await c1.cluster.memberList({});
      const text = describe(members);
      return members.length === 3 && members.every((m) => m.name !== '' && !m.isLearner) ? text : undefined;
    },
    180_000,
  );
  for (const t of nodes) {
    await eventually(
      'EtcdMember/local',
      async () => (await t.node.state.list(EtcdMembers.kind()))[0],
      60_000,
    );
  }
  expect(await etcdUpgradeGuard(cp1.node)).toBeUndefined();
  await expect(bootstrapEtcd(cp2.node)).rejects.toThrow(/not empty/);

  // Written through one member, read through another.
  await c1.put('greeting').value('hello');
  const c3 = await client(cp3, addresses[2]!);
  expect(await c3.get('greeting').string()).toBe('hello');

  // cp-2's etcd is killed: the cluster keeps quorum, the supervisor restarts it, its data is intact.
  const killed = await etcdPid(cp2);
  expect(killed).toBeDefined();
  process.kill(killed!, 'SIGKILL');
  await c1.put('after-kill').value('still writable');
  await eventually(
    'etcd restarted on cp-2',
    async () => {
      const s = cp2.node.supervisor.status('etcd');
      const pid = await etcdPid(cp2);
      return s.restarts > 0 && s.healthy === true && pid !== undefined && pid !== killed ? true : undefined;
    },
    60_000,
  );
  const c2 = await client(cp2, addresses[1]!);
  expect(await c2.get('after-kill').string()).toBe('still writable');
  expect(await c2.get('greeting').string()).toBe('hello');

  // cp-3 moves to 127.0.0.14: its peer URL is updated live, and the member follows on its next start.
  await cp3.node.applyConfig(
    controlPlaneConfig({ hostname: 'cp-3', address: '127.0.0.14', ca, clientPort, peerPort, joinEndpoints }),
  );
  await eventually('peer URL of cp-3 updated', async () => {
    const { members } = await c1.cluster.memberList({});
    const cp3Member = members.find((m) => m.name === 'cp-3');
    return cp3Member?.peerURLs.join() === `https://127.0.0.14:${peerPort}` ? true : undefined;
  });
  await cp3.node.supervisor.restart('etcd');
  const c3b = await client(cp3, '127.0.0.14');
  await eventually('cp-3 serving on 127.0.0.14', async () => await c3b.get('greeting').string(), 60_000);
  expect(await c3b.get('after-kill').string()).toBe('still writable');

  // cp-2 leaves gracefully: removed from the cluster, its etcd stopped and its data wiped.
  await leaveEtcd(cp2.node);
  const { members } = await c1.cluster.memberList({});
  expect(describe(members)).toEqual([
    `cp-1=https://127.0.0.11:${peerPort}`,
    `cp-3=https://127.0.0.14:${peerPort}`,
  ]);
  expect(cp2.node.supervisor.status('etcd').state).toBe('Finished');
  await expect(readdir(join(cp2.dir, 'EPHEMERAL'))).resolves.not.toContain('etcd');
  expect(await c1.get('greeting').string()).toBe('hello');

  // Two members left: upgrading either would lose quorum.
  expect(await etcdUpgradeGuard(cp1.node)).toMatch(/lose quorum/);
}, 600_000);
