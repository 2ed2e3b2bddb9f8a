/**
 * The DHCP part of a platform: a DHCPv4 client per link that acquires a lease, renews it at T1,
 * rebinds at T2 and lets it expire. It reports leases; it never touches the kernel itself: the
 * node's DHCP operator turns a lease into specs of the `operator` layer.
 */
import type { Observable } from 'rxjs';

/** A DHCPv4 lease: what a server granted one link. */
export interface DhcpLease {
  /** The link the lease is for. */
  readonly linkName: string;
  /** The granted address with its prefix length, e.g. `10.0.0.100/24`. */
  readonly address: string;
  /** The default router (option 3), or `''`. */
  readonly router: string;
  /** DNS servers (option 6). */
  readonly dnsServers: readonly string[];
  /** NTP servers (option 42). */
  readonly ntpServers: readonly string[];
  /** The host name the server assigned (option 12), or `''`. */
  readonly hostname: string;
  /** The domain name (option 15), or `''`. */
  readonly domainname: string;
  /** Search domains (option 119). */
  readonly searchDomains: readonly string[];
  /** The interface MTU (option 26), or `0` when the server gave none. */
  readonly mtu: number;
  /** The server that granted it (option 54). */
  readonly serverId: string;
  /** The lease time in milliseconds (option 51). */
  readonly leaseTimeMs: number;
  /** When it was granted or last renewed, in platform clock milliseconds. */
  readonly acquiredAt: number;
  /** When the client renews (T1, half the lease by default). */
  readonly renewAt: number;
  /** When the client rebinds to any server (T2, 7/8 of the lease by default). */
  readonly rebindAt: number;
  /** When the lease expires unless renewed. */
  readonly expiresAt: number;
}

/** How a DHCP client identifies itself. */
export interface DhcpClientOptions {
  /** The client identifier (option 61); default the link's MAC address. */
  readonly clientId?: string;
  /** The host name to send (option 12); none by default. */
  readonly hostname?: string;
}

/**
 * A change of one link's lease:
 * - `acquired`: a first lease (or a new one after expiry);
 * - `renewed`: the lease was extended (its fields may have changed);
 * - `expired`: the lease ran out without renewal;
 * - `released`: the client was stopped and gave the lease back.
 */
export interface DhcpChange {
  /** What happened. */
  readonly type: 'acquired' | 'renewed' | 'expired' | 'released';
  /** The link concerned. */
  readonly linkName: string;
  /** The lease after the change; `undefined` after `expired` and `released`. */
  readonly lease: DhcpLease | undefined;
}

/**
 * DHCPv4 clients, one per link, run by the platform.
 *
 * @remarks A started client keeps trying until stopped: discovery retries with backoff while no
 * server answers (the link down, a silent server), renews at T1, rebinds at T2, reports expiry
 * and then starts over. All waiting goes through the platform's clock.
 */
export interface DhcpPlatform {
  /** Starts a client on `linkName` (`EBUSY` if one runs there already); resolves once it is running, not once it has a lease. */
  start(linkName: string, options?: DhcpClientOptions): Promise<void>;
  /** Stops the client on `linkName` and releases its lease (`ENOENT` if none runs). */
  stop(linkName: string): Promise<void>;
  /** Asks the client on `linkName` to renew now; resolves with the renewed lease (`ENOENT` if none runs, `ETIMEDOUT` if no server answers). */
  renew(linkName: string): Promise<DhcpLease>;
  /** The current lease of `linkName`, or `undefined` while it has none. */
  lease(linkName: string): DhcpLease | undefined;
  /** The links a client runs on, sorted. */
  clients(): string[];
  /** A hot stream of lease changes on every link; completes when the platform closes. */
  changes(): Observable<DhcpChange>;
}
