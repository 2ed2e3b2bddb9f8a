/**
 * The simulated platform's DHCP: a server per simulated link and a client per link the node
 * starts. The client runs RFC 2131's states on the injected clock: discovery with backoff, renew
 * at T1, rebind at T2, expiry; the server answers only while the link runs, and can be made slow
 * or silent.
 */
import { type Observable, Subject } from 'rxjs';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { DhcpChange, DhcpClientOptions, DhcpLease, DhcpPlatform } from '../dhcp.js';
import { PlatformError } from '../errors.js';
import { formatIp, type IpPrefix, networkOf, parsePrefix } from '../ip-prefix.js';
import type { SimulatedNetwork } from './simulated-network.js';

/** A simulated link's DHCP server; every field has a default derived from the link's position. */
export interface SimulatedDhcpServerOptions {
  /** The subnet leases come from; default `10.<n>.0.0/24` for the n-th link (from 1). */
  readonly subnet?: string;
  /** The router it hands out; default the subnet's first host. */
  readonly router?: string;
  /** DNS servers; default `[router]`. */
  readonly dnsServers?: readonly string[];
  /** NTP servers; default `[router]`. */
  readonly ntpServers?: readonly string[];
  /** The host name it assigns; default none. */
  readonly hostname?: string;
  /** The domain name; default none. */
  readonly domainname?: string;
  /** Search domains; default none. */
  readonly searchDomains?: readonly string[];
  /** The MTU option; default none (0). */
  readonly mtu?: number;
  /** Lease time in milliseconds; default one hour. */
  readonly leaseTimeMs?: number;
  /** How long the server takes to answer; default 50 ms. A slow server answers late. */
  readonly responseDelayMs?: number;
  /** A silent server never answers. */
  readonly silent?: boolean;
}

interface Server {
  readonly options: SimulatedDhcpServerOptions;
  readonly subnet: IpPrefix;
  readonly router: string;
  /** client id → host number, so a client keeps its address. */
  readonly bindings: Map<string, bigint>;
}

interface Client {
  readonly linkName: string;
  readonly clientId: string;
  lease: DhcpLease | undefined;
  timer: TimerHandle | undefined;
  attempt: number;
  /** Bumped on every state change: a late answer for an older request is dropped. */
  generation: number;
}

const discoverBackoffMs = [4_000, 8_000, 16_000, 32_000, 64_000];
const requestTimeoutMs = 10_000;

/** DHCP servers and clients of a simulated machine, all on the injected clock. */
export class SimulatedDhcp implements DhcpPlatform {
  readonly #servers = new Map<string, Server>();
  readonly #clients = new Map<string, Client>();
  readonly #changes = new Subject<DhcpChange>();
  readonly #clock: Clock;
  readonly #now: () => number;
  readonly #random: SeededRandom;
  readonly #network: SimulatedNetwork;
  #closed = false;

  constructor(options: { clock: Clock; now: () => number; random: SeededRandom; network: SimulatedNetwork }) {
    this.#clock = options.clock;
    this.#now = options.now;
    this.#random = options.random;
    this.#network = options.network;
  }

  /** Installs, reconfigures (fields merged) or, with `undefined`, removes the server of `linkName`. */
  configureServer(linkName: string, position: number, options: SimulatedDhcpServerOptions | undefined): void {
    if (options === undefined) {
      this.#servers.delete(linkName);
      return;
    }
    const previous = this.#servers.get(linkName);
    const merged = { ...previous?.options, ...options };
    const subnet = parsePrefix(merged.subnet ?? `10.${position}.0.0/24`);
    if (subnet === undefined || subnet.family !== 'inet4' || subnet.length > 29) {
      throw new PlatformError(
        'EINVAL',
        `DHCP server of ${linkName}: subnet ${merged.subnet} is not an IPv4 /29 or larger`,
      );
    }
    const network = networkOf(subnet);
    const router = merged.router ?? formatIp({ family: 'inet4', value: network.value + 1n });
    const bindings = previous?.bindings ?? new Map<string, bigint>();
    this.#servers.set(linkName, { options: merged, subnet: network, router, bindings });
  }

  async start(linkName: string, options: DhcpClientOptions = {}): Promise<void> {
    this.#check('start');
    if (this.#clients.has(linkName)) {
      throw new PlatformError('EBUSY', `start ${linkName}: a DHCP client runs there already`, {
        op: 'start',
        subject: linkName,
      });
    }
    const clientId = options.clientId ?? this.#network.hardwareAddrOf(linkName);
    const client: Client = {
      linkName,
      clientId,
      lease: undefined,
      timer: undefined,
      attempt: 0,
      generation: 0,
    };
    this.#clients.set(linkName, client);
    this.#discover(client);
  }

  async stop(linkName: string): Promise<void> {
    this.#check('stop');
    const client = this.#require('stop', linkName);
    this.#cancel(client);
    this.#clients.delete(linkName);
    if (client.lease !== undefined) {
      client.lease = undefined;
      this.#changes.next({ type: 'released', linkName, lease: undefined });
    }
  }

  async renew(linkName: string): Promise<DhcpLease> {
    this.#check('renew');
    const client = this.#require('renew', linkName);
    this.#cancel(client);
    return new Promise((resolve, reject) => {
      const generation = client.generation;
      const timeout = this.#clock.setTimeout(() => {
        if (client.generation !== generation) return;
        this.#afterFailedRequest(client);
        reject(
          new PlatformError('ETIMEDOUT', `renew ${linkName}: no DHCP server answered`, {
            op: 'renew',
            subject: linkName,
          }),
        );
      }, requestTimeoutMs);
      this.#request(client, (lease) => {
        this.#clock.clearTimeout(timeout);
        resolve(lease);
      });
    });
  }

  lease(linkName: string): DhcpLease | undefined {
    return this.#clients.get(linkName)?.lease;
  }

  clients(): string[] {
    return [...this.#clients.keys()].sort();
  }

  changes(): Observable<DhcpChange> {
    return this.#changes.asObservable();
  }

  /** Cancels every client's timers and completes the change stream. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients.values()) this.#cancel(client);
    this.#clients.clear();
    this.#changes.complete();
  }

  #check(op: string): void {
    if (this.#closed) throw new PlatformError('ESHUTDOWN', `${op}: the platform is closed`, { op });
  }

  #require(op: string, linkName: string): Client {
    const client = this.#clients.get(linkName);
    if (client === undefined) {
      throw new PlatformError('ENOENT', `${op} ${linkName}: no DHCP client runs there`, {
        op,
        subject: linkName,
      });
    }
    return client;
  }

  #cancel(client: Client): void {
    client.generation++;
    if (client.timer !== undefined) this.#clock.clearTimeout(client.timer);
    client.timer = undefined;
  }

  #schedule(client: Client, ms: number, run: () => void): void {
    if (client.timer !== undefined) this.#clock.clearTimeout(client.timer);
    client.timer = this.#clock.setTimeout(
      () => {
        client.timer = undefined;
        run();
      },
      Math.max(0, ms),
    );
  }

  /** Sends a request; `onLease` runs if a server answers (after its delay, while the link still runs). */
  #request(client: Client, onLease: (lease: DhcpLease) => void): void {
    const server = this.#servers.get(client.linkName);
    if (server === undefined || server.options.silent === true || !this.#network.isRunning(client.linkName))
      return;
    const generation = client.generation;
    this.#clock.setTimeout(() => {
      const now = this.#servers.get(client.linkName);
      if (client.generation !== generation || this.#clients.get(client.linkName) !== client) return;
      if (now === undefined || now.options.silent === true || !this.#network.isRunning(client.linkName))
        return;
      onLease(this.#grant(client, now));
    }, server.options.responseDelayMs ?? 50);
  }

  #discover(client: Client): void {
    this.#request(client, () => undefined);
    const backoff = discoverBackoffMs[Math.min(client.attempt, discoverBackoffMs.length - 1)]!;
    client.attempt++;
    // RFC 2131 randomises each retransmission by ±1 s.
    const jitter = Math.floor(this.#random.next() * 2_000) - 1_000;
    this.#schedule(client, backoff + jitter, () => this.#discover(client));
  }

  #grant(client: Client, server: Server): DhcpLease {
    const had = client.lease !== undefined;
    const o = server.options;
    const leaseTimeMs = o.leaseTimeMs ?? 3_600_000;
    const acquiredAt = this.#now();
    const lease: DhcpLease = {
      linkName: client.linkName,
      address: `${formatIp({ family: 'inet4', value: server.subnet.value + this.#hostFor(server, client.clientId) })}/${server.subnet.length}`,
      router: server.router,
      dnsServers: [...(o.dnsServers ?? [server.router])],
      ntpServers: [...(o.ntpServers ?? [server.router])],
      hostname: o.hostname ?? '',
      domainname: o.domainname ?? '',
      searchDomains: [...(o.searchDomains ?? [])],
      mtu: o.mtu ?? 0,
      serverId: server.router,
      leaseTimeMs,
      acquiredAt,
      renewAt: acquiredAt + leaseTimeMs / 2,
      rebindAt: acquiredAt + (leaseTimeMs * 7) / 8,
      expiresAt: acquiredAt + leaseTimeMs,
    };
    client.lease = lease;
    client.attempt = 0;
    this.#cancel(client);
    this.#schedule(client, leaseTimeMs / 2, () => this.#renewal(client));
    this.#changes.next({ type: had ? 'renewed' : 'acquired', linkName: client.linkName, lease });
    return lease;
  }

  #hostFor(server: Server, clientId: string): bigint {
    const bound = server.bindings.get(clientId);
    if (bound !== undefined) return bound;
    const hosts = (1n << BigInt(32 - server.subnet.length)) - 2n;
    const taken = new Set(server.bindings.values());
    // Start at a seeded host number past the router and walk to the first free one.
    let host = 2n + BigInt(Math.floor(this.#random.next() * Number(hosts - 1n)));
    for (let i = 0n; taken.has(host) && i < hosts; i++) host = host >= hosts ? 2n : host + 1n;
    if (taken.has(host)) throw new PlatformError('ENOSPC', `DHCP server ${server.router}: pool exhausted`);
    server.bindings.set(clientId, host);
    return host;
  }

  /** T1 or later: ask to extend; on silence retry at half the time left, down to 60 s. */
  #renewal(client: Client): void {
    const lease = client.lease;
    if (lease === undefined) return;
    this.#request(client, () => undefined);
    this.#afterFailedRequest(client);
  }

  /** Schedules what follows an unanswered request: another renewal, or expiry. */
  #afterFailedRequest(client: Client): void {
    const lease = client.lease;
    if (lease === undefined) {
      this.#schedule(client, discoverBackoffMs[0]!, () => this.#discover(client));
      return;
    }
    const left = lease.expiresAt - this.#now();
    if (left <= 0) {
      this.#expire(client);
      return;
    }
    const next = Math.min(left, Math.max(60_000, left / 2));
    this.#schedule(client, next, () => (next >= left ? this.#expire(client) : this.#renewal(client)));
  }

  #expire(client: Client): void {
    client.lease = undefined;
    this.#changes.next({ type: 'expired', linkName: client.linkName, lease: undefined });
    client.attempt = 0;
    this.#discover(client);
  }
}
