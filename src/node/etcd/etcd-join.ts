/**
 * How a control plane becomes a member (research §3.4): a learner added through a running member,
 * then promoted through the other voting members once it has caught up. etcd allows one learner at a
 * time, so control planes join one by one; a second one retries until the first is promoted.
 */
import type { Etcd3, IMember } from 'etcd3';
import { type EtcdConfig, EtcdConfigs, etcdId } from '../../resources/etcd/etcd-config.js';
import { type EtcdSpec, etcdUrl } from '../../resources/etcd/etcd-spec.js';
import { memberIdHex, openEtcdClient } from './etcd-client.js';
import type { LocalEtcd } from './local-etcd.js';
import { sleep } from './sleep.js';

/** What a joined member starts with. */
export interface JoinPlan {
  /** `name=peerURL,...` of every member, this one included. */
  readonly initialCluster: string;
  /** The new member's id (hex). */
  readonly memberId: string;
}

/**
 * Between attempts to join or promote. Short: a control plane waiting for the one before it to be
 * promoted should follow right after, and an attempt is one member list (and add) on a member.
 */
const retryMs = 500;
/** How often a waiting member says how to bootstrap. */
const hintEveryMs = 30_000;
/** Talos gives a promotion ten minutes. */
const promoteBudgetMs = 10 * 60_000;

/** The client URLs of the configured join endpoints (`host` or `host:port`), this node's excluded. */
export function joinUrls(config: EtcdConfig['spec'], own: readonly string[]): string[] {
  return config.joinEndpoints
    .map((e) => {
      const v6 = e.startsWith('[');
      const portAt = v6 ? e.indexOf(']:') + 1 : e.indexOf(':');
      const colons = e.split(':').length - 1;
      if (!v6 && colons > 1) return { host: e, port: config.clientPort };
      if (portAt <= 0) return { host: v6 ? e.slice(1, -1) : e, port: config.clientPort };
      return { host: e.slice(v6 ? 1 : 0, v6 ? portAt - 1 : portAt), port: Number(e.slice(portAt + 1)) };
    })
    .filter((e) => !own.includes(e.host))
    .map((e) => etcdUrl(e.host, e.port));
}

function initialCluster(members: readonly IMember[], self: { id: string; name: string }): string {
  return members
    .flatMap((m) => m.peerURLs.map((u) => `${m.ID === self.id ? self.name : m.name}=${u}`))
    .join(',');
}

/** Whether `member` is a stale entry of this node: its name, or never started with its peer URLs. */
function isStale(member: IMember, name: string, peerUrls: readonly string[]): boolean {
  return member.name === name || (member.name === '' && member.peerURLs.some((u) => peerUrls.includes(u)));
}

/**
 * Runs `use` with a client of the first of `urls` whose member answers a linearizable member list,
 * all asked at once: a member still starting (it accepts connections, then holds calls until their
 * deadline) or a learner does not hold up a join or a promotion another member can serve right
 * away. The answering connection is the one `use` gets; every client is closed afterwards.
 */
async function withAnsweringMember<T>(
  etcd: LocalEtcd,
  urls: readonly string[],
  use: (client: Etcd3) => Promise<T>,
): Promise<T> {
  const clients = await Promise.all(urls.map((url) => openEtcdClient([url], etcd.pkiDir, etcd.clock)));
  try {
    let answering: Etcd3;
    try {
      answering = await Promise.any(
        clients.map(async (client) => {
          await client.cluster.memberList({ linearizable: true });
          return client;
        }),
      );
    } catch (error) {
      const causes = error instanceof AggregateError ? error.errors : [error];
      throw new Error(
        `no member answered: ${causes.map((e, i) => `${urls[i]}: ${(e as Error).message}`).join('; ')}`,
      );
    }
    return await use(answering);
  } finally {
    for (const client of clients) client.close();
  }
}

/**
 * Adds this node as a learner through the configured endpoints, retrying until it is added or
 * `signal` aborts; stale entries of this node (same name, or an unstarted one with its peer URLs)
 * are removed first.
 */
export async function joinCluster(
  etcd: LocalEtcd,
  spec: EtcdSpec['spec'],
  signal: AbortSignal,
): Promise<JoinPlan> {
  const peerUrls = spec.advertisedAddresses.map((a) => etcdUrl(a, spec.peerPort));
  let lastHint = Number.NEGATIVE_INFINITY;
  while (!signal.aborted) {
    const config = (await etcd.context.state.list(EtcdConfigs.kind())).find((c) => c.metadata.id === etcdId);
    const urls = config === undefined ? [] : joinUrls(config.spec, spec.advertisedAddresses);
    try {
      if (urls.length === 0)
        throw new Error('no join endpoints (cluster.etcd.joinEndpoints) to reach the cluster');
      return await withAnsweringMember(etcd, urls, async (client) => {
        const before = await client.cluster.memberList({ linearizable: true });
        for (const stale of before.members.filter((m) => isStale(m, spec.name, peerUrls))) {
          await client.cluster.memberRemove({ ID: stale.ID });
          etcd.logger.warn({ member: memberIdHex(stale.ID) }, 'removed a stale etcd member of this node');
        }
        const added = await client.cluster.memberAdd({ peerURLs: peerUrls, isLearner: true });
        const self = { id: added.member.ID, name: spec.name };
        etcd.logger.info({ member: memberIdHex(self.id), peerUrls }, 'joined etcd as a learner');
        return { initialCluster: initialCluster(added.members, self), memberId: memberIdHex(self.id) };
      });
    } catch (error) {
      if (etcd.clock.now() - lastHint >= hintEveryMs) {
        lastHint = etcd.clock.now();
        etcd.logger.warn(
          { err: (error as Error).message, endpoints: urls },
          'etcd is waiting to join the cluster; if this is the first control plane, bootstrap it',
        );
      }
    }
    await sleep(etcd.clock, retryMs, signal);
  }
  throw new Error('join cancelled');
}

/**
 * Promotes this node's learner through the other members until it is a voting member (it is
 * refused while the learner has not caught up), for up to ten minutes or until `signal` aborts.
 */
export async function promoteWhenReady(etcd: LocalEtcd, name: string, signal: AbortSignal): Promise<void> {
  const deadline = etcd.clock.now() + promoteBudgetMs;
  while (!signal.aborted && etcd.clock.now() < deadline) {
    await sleep(etcd.clock, retryMs, signal);
    if (signal.aborted) return;
    // Asked locally first: a voting member (a restarted one, a single-member cluster) is done.
    const local = await etcd
      .withLocalClient((c) => c.cluster.memberList({}))
      .then((r) => r.members.find((m) => m.name === name))
      .catch(() => undefined);
    if (local !== undefined && !local.isLearner) return;
    const config = (await etcd.context.state.list(EtcdConfigs.kind())).find((c) => c.metadata.id === etcdId);
    const own = etcd.clientUrl === undefined ? [] : [etcd.clientUrl];
    const urls = config === undefined ? [] : joinUrls(config.spec, []).filter((u) => !own.includes(u));
    if (urls.length === 0) continue;
    try {
      const done = await withAnsweringMember(etcd, urls, async (client) => {
        const { members } = await client.cluster.memberList({ linearizable: true });
        const self = members.find((m) => m.name === name);
        if (self === undefined) return false;
        if (!self.isLearner) return true;
        await client.cluster.memberPromote({ ID: self.ID });
        etcd.logger.info({ member: memberIdHex(self.ID) }, 'etcd learner promoted to a voting member');
        return true;
      });
      if (done) return;
    } catch (error) {
      // "can only promote a learner member which is in sync with leader": try again shortly.
      etcd.logger.debug({ err: (error as Error).message }, 'etcd learner not promoted yet');
    }
  }
  if (!signal.aborted) etcd.logger.error({ name }, 'etcd learner was not promoted within ten minutes');
}
