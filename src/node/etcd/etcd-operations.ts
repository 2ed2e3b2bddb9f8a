/**
 * The etcd operations of a node the API and the lifecycle call: bootstrap the first control plane,
 * leave the cluster on a graceful reset, and the upgrade guard that keeps quorum.
 */
import { rm } from 'node:fs/promises';
import type { IMember } from 'etcd3';
import { EtcdMembers, etcdLocalMemberId } from '../../resources/etcd/etcd-member.js';
import { isNotFoundError } from '../../runtime/errors.js';
import type { State } from '../../runtime/state/state.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { memberIdDecimal, memberIdHex, withEtcdClient } from './etcd-client.js';
import { etcdServiceId } from './etcd-service.js';
import { localEtcdOf } from './local-etcd.js';
import { sleep } from './sleep.js';

/** What the operations need of a node. */
export interface EtcdNode {
  readonly state: State;
  readonly supervisor: Supervisor;
  /** Cancels the waits of a long operation (a leave during a reset). */
  readonly signal?: AbortSignal;
}

/** Talos waits this long for the local member id before leaving. */
const memberIdWaitMs = 3 * 60_000;
/** And retries the removal this long. */
const removeBudgetMs = 5 * 60_000;
const retryMs = 2_000;

/** A bootstrap this node must not do now: the reason says why. */
export class EtcdBootstrapRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdBootstrapRefusedError';
  }
}

/** The last member cannot leave: there would be no cluster left. */
class LastMemberError extends Error {}

/**
 * Bootstraps etcd on this control plane (Talos' `talosctl bootstrap`): restarts the etcd service as
 * a new one-member cluster. Refused when etcd is not loaded or already has data.
 */
export async function bootstrapEtcd(node: EtcdNode): Promise<void> {
  if (!node.supervisor.list().some((s) => s.id === etcdServiceId)) {
    throw new EtcdBootstrapRefusedError(
      'bootstrap refused: this node runs no etcd (it is not a control plane)',
    );
  }
  const etcd = localEtcdOf(node.state);
  if (await etcd.hasMemberData()) {
    throw new EtcdBootstrapRefusedError(
      'bootstrap refused: etcd data directory is not empty: this member was bootstrapped or joined already',
    );
  }
  if (etcd.bootstrapRequested)
    throw new EtcdBootstrapRefusedError('etcd bootstrap is already under way on this node');
  etcd.bootstrapRequested = true;
  await node.supervisor.restart(etcdServiceId);
}

async function localMemberId(node: EtcdNode, deadline: number): Promise<string | undefined> {
  const etcd = localEtcdOf(node.state);
  while (etcd.clock.now() < deadline) {
    try {
      return (await node.state.get(EtcdMembers.pointer(etcdLocalMemberId))).spec.memberID;
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    if (!(await sleep(etcd.clock, retryMs, node.signal))) throw new Error('leaving etcd was cancelled');
  }
  return undefined;
}

/**
 * Leaves the etcd cluster (graceful reset, research §3.5): removes this member through the
 * cluster (retrying; "not found" is success), stops the etcd service and wipes its data. Does
 * nothing on a node without etcd data.
 */
export async function leaveEtcd(node: EtcdNode): Promise<void> {
  const etcd = localEtcdOf(node.state);
  if (!(await etcd.hasMemberData())) return;
  const id = await localMemberId(node, etcd.clock.now() + memberIdWaitMs);
  if (id === undefined)
    throw new Error('cannot leave etcd: the local member id did not appear within 3 minutes');
  const deadline = etcd.clock.now() + removeBudgetMs;
  for (;;) {
    try {
      await etcd.withLocalClient(async (client) => {
        const { members } = await client.cluster.memberList({ linearizable: true });
        const others = members.filter((m) => memberIdHex(m.ID) !== id).flatMap((m) => m.clientURLs);
        if (!members.some((m) => memberIdHex(m.ID) === id)) return;
        if (others.length === 0) {
          throw new LastMemberError('this is the only etcd member: reset it without leaving (not graceful)');
        }
        // Removed through the others, so the answer does not depend on the member being removed.
        await withEtcdClient(others, etcd.pkiDir, etcd.clock, (c) =>
          c.cluster.memberRemove({ ID: memberIdDecimal(id) }),
        );
      });
      break;
    } catch (error) {
      if (error instanceof LastMemberError) throw error;
      if (/member not found/i.test((error as Error).message)) break;
      if (etcd.clock.now() >= deadline) throw error;
      if (!(await sleep(etcd.clock, retryMs, node.signal))) throw new Error('leaving etcd was cancelled');
    }
  }
  etcd.logger.info({ member: id }, 'left etcd');
  await node.supervisor.stop(etcdServiceId);
  await rm(etcd.dataDir, { recursive: true, force: true });
}

/**
 * The upgrade guard of a control plane (research §3.5): the reason to refuse an upgrade when
 * stopping this member would lose quorum (a member not started or unhealthy, or too few healthy
 * voting members without this one); `undefined` when it may go ahead or the node runs no etcd.
 */
export async function etcdUpgradeGuard(node: EtcdNode): Promise<string | undefined> {
  const etcd = localEtcdOf(node.state);
  if (!(await etcd.hasMemberData())) return undefined;
  let members: IMember[];
  try {
    members = (await etcd.withLocalClient((c) => c.cluster.memberList({ linearizable: true }))).members;
  } catch (error) {
    return `etcd on this node does not answer: ${(error as Error).message}`;
  }
  if (members.length === 1) return undefined;
  const unstarted = members.find((m) => m.name === '');
  if (unstarted) return `etcd member ${memberIdHex(unstarted.ID)} is not started`;
  const voters = members.filter((m) => !m.isLearner);
  let healthy = 0;
  for (const m of voters) {
    try {
      await withEtcdClient(m.clientURLs, etcd.pkiDir, etcd.clock, (c) => c.maintenance.status());
      healthy++;
    } catch (error) {
      return `etcd member ${m.name} (${memberIdHex(m.ID)}) is unhealthy: ${(error as Error).message}`;
    }
  }
  const quorum = Math.floor(voters.length / 2) + 1;
  if (healthy - 1 < quorum) {
    return `etcd has ${voters.length} voting members: stopping this one would lose quorum (${quorum} needed)`;
  }
  return undefined;
}
