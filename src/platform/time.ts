/**
 * The time part of a platform: the node's clock, whether it is synchronised with the time
 * servers, and the jumps it makes (Talos bumps `TimeStatus.epoch` on a jump).
 */
import type { Observable } from 'rxjs';

/** Whether the clock is synchronised, and against what. */
export interface TimeSyncStatus {
  /** The clock is synchronised with a time server (or trusted as such). */
  readonly synced: boolean;
  /** The servers it was told to use, as given. */
  readonly servers: readonly string[];
  /** When it last synchronised, in platform clock milliseconds, or `undefined` if never. */
  readonly lastSyncAt: number | undefined;
  /** How many times the clock jumped since the platform started: Talos' `TimeStatus.epoch`. */
  readonly jumps: number;
}

/**
 * A change of the clock:
 * - `synced`: it became synchronised;
 * - `unsynced`: it lost synchronisation (e.g. its servers went away);
 * - `jumped`: it stepped by `jumpMs` (positive forward, negative backward).
 */
export type TimeChange =
  | { readonly type: 'synced' }
  | { readonly type: 'unsynced' }
  | { readonly type: 'jumped'; readonly jumpMs: number };

/** The node's clock as the time controllers see it. */
export interface TimePlatform {
  /** The platform's notion of now, in milliseconds since the Unix epoch (jumps included). */
  now(): number;
  /** The current synchronisation state. */
  status(): TimeSyncStatus;
  /** Tells the clock which time servers to synchronise with (host names or IPs); `[]` stops syncing. */
  setServers(servers: readonly string[]): Promise<void>;
  /** A hot stream of sync changes and jumps; completes when the platform closes. */
  changes(): Observable<TimeChange>;
}
