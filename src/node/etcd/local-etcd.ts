/**
 * A node's etcd member as the node's code sees it: where its data and certificates live, how the
 * running process was started, and the operations controllers and the API ask of it.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LocalEtcdMember } from '../../controllers/etcd/local-member.js';
import type { DiskPlatform } from '../../platform/disk.js';
import type { Clock } from '../../runtime/clock.js';
import type { State } from '../../runtime/state/state.js';
import { memberIdHex, withEtcdClient } from './etcd-client.js';

/** What a node's etcd needs from the node. */
export interface LocalEtcdContext {
  readonly state: State;
  readonly disk: DiskPlatform;
  readonly stateDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The node's etcd member. */
export class LocalEtcd implements LocalEtcdMember {
  /** The member's data, in the EPHEMERAL partition (Talos' `/var/lib/etcd`). */
  readonly dataDir: string;
  /** The CA and this member's certificates (Talos' `/system/secrets/etcd`). */
  readonly pkiDir: string;
  /** Set by a bootstrap: the next start makes a new one-member cluster. */
  bootstrapRequested = false;
  /** The client URL the running process listens on (its advertised one when it started). */
  clientUrl: string | undefined;
  /** The running member's name. */
  name: string | undefined;
  /** Whether a promotion of this member is being tried. */
  promoting = false;

  constructor(readonly context: LocalEtcdContext) {
    this.dataDir = join(context.disk.path('EPHEMERAL'), 'etcd');
    this.pkiDir = join(context.stateDir, 'system', 'secrets', 'etcd');
  }

  get clock(): Clock {
    return this.context.clock;
  }

  get logger(): Logger {
    return this.context.logger;
  }

  /** Whether the data directory holds a member (it was bootstrapped or joined before). */
  async hasMemberData(): Promise<boolean> {
    try {
      await access(join(this.dataDir, 'member'));
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `use` with a client to the local running member. */
  async withLocalClient<T>(use: Parameters<typeof withEtcdClient<T>>[3]): Promise<T> {
    if (this.clientUrl === undefined) throw new Error('etcd is not running on this node');
    return withEtcdClient([this.clientUrl], this.pkiDir, this.clock, use);
  }

  async memberId(): Promise<string> {
    const status = await this.withLocalClient((c) => c.maintenance.status());
    return memberIdHex(status.header.member_id);
  }

  async updatePeerUrls(urls: readonly string[]): Promise<void> {
    await this.withLocalClient(async (client) => {
      const id = (await client.maintenance.status()).header.member_id;
      const { members } = await client.cluster.memberList({ linearizable: true });
      const self = members.find((m) => m.ID === id);
      if (self === undefined) throw new Error(`etcd member ${memberIdHex(id)} is not in the member list`);
      const same = self.peerURLs.length === urls.length && urls.every((u) => self.peerURLs.includes(u));
      if (same) return;
      await client.cluster.memberUpdate({ ID: id, peerURLs: [...urls] });
      this.logger.info(
        { member: memberIdHex(id), from: self.peerURLs, to: urls },
        'etcd member peer URLs updated',
      );
    });
  }
}

const members = new WeakMap<State, LocalEtcd>();

/** The etcd member of the node whose state is `context.state` (made on first use). */
export function localEtcd(context: LocalEtcdContext): LocalEtcd {
  let found = members.get(context.state);
  if (found === undefined) {
    found = new LocalEtcd(context);
    members.set(context.state, found);
  }
  return found;
}

/** The etcd member of a node, made when its services were loaded; throws when it has none. */
export function localEtcdOf(state: State): LocalEtcd {
  const found = members.get(state);
  if (found === undefined) throw new Error('this node runs no etcd service');
  return found;
}
