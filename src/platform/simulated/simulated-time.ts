/**
 * The simulated platform's clock: the injected clock plus an offset that jumps on demand, and a
 * synchronisation that completes a set delay after time servers are given.
 */
import { type Observable, Subject } from 'rxjs';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import { PlatformError } from '../errors.js';
import type { TimeChange, TimePlatform, TimeSyncStatus } from '../time.js';

/** How the simulated clock synchronises. */
export interface SimulatedTimeOptions {
  /** How long after servers are set the clock becomes synced; default 2000 ms. */
  readonly syncDelayMs?: number;
  /** Start synced (as a host that trusts its own clock); default false. */
  readonly synced?: boolean;
}

/** A clock that syncs after a delay and jumps when told. */
export class SimulatedTime implements TimePlatform {
  readonly #clock: Clock;
  readonly #syncDelayMs: number;
  readonly #changes = new Subject<TimeChange>();
  #offsetMs = 0;
  #synced: boolean;
  #servers: readonly string[] = [];
  #lastSyncAt: number | undefined;
  #jumps = 0;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(clock: Clock, options: SimulatedTimeOptions = {}) {
    this.#clock = clock;
    this.#syncDelayMs = options.syncDelayMs ?? 2_000;
    this.#synced = options.synced ?? false;
    if (this.#synced) this.#lastSyncAt = clock.now();
  }

  now(): number {
    return this.#clock.now() + this.#offsetMs;
  }

  status(): TimeSyncStatus {
    return {
      synced: this.#synced,
      servers: [...this.#servers],
      lastSyncAt: this.#lastSyncAt,
      jumps: this.#jumps,
    };
  }

  async setServers(servers: readonly string[]): Promise<void> {
    if (this.#closed)
      throw new PlatformError('ESHUTDOWN', 'setServers: the platform is closed', { op: 'setServers' });
    if (servers.some((s) => typeof s !== 'string' || s === '')) {
      throw new PlatformError('EINVAL', 'setServers: a time server must be a non-empty name', {
        op: 'setServers',
      });
    }
    const same = servers.length === this.#servers.length && servers.every((s, i) => s === this.#servers[i]);
    this.#servers = [...servers];
    if (same) return;
    this.#arm();
  }

  changes(): Observable<TimeChange> {
    return this.#changes.asObservable();
  }

  /** Steps the clock by `ms` (negative: backward). */
  jump(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`jump: ms must be finite, got ${ms}`);
    this.#offsetMs += ms;
    this.#jumps++;
    this.#changes.next({ type: 'jumped', jumpMs: ms });
  }

  /** Loses synchronisation; it comes back after the sync delay while servers are set. */
  loseSync(): void {
    if (this.#synced) {
      this.#synced = false;
      this.#changes.next({ type: 'unsynced' });
    }
    this.#arm();
  }

  /** Cancels the pending sync and completes the change stream. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#changes.complete();
  }

  /** (Re)starts the sync delay when there are servers to sync with and the clock is not synced. */
  #arm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#synced || this.#servers.length === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#synced = true;
      this.#lastSyncAt = this.now();
      this.#changes.next({ type: 'synced' });
    }, this.#syncDelayMs);
  }
}
