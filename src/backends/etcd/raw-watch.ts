import type { Etcd3, IDuplexStream, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../runtime/clock.js';

/** Reconnect delays of a watch: exponential from `initialMs`, doubling up to `maxMs`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** etcd compacted the revision a watch needed to resume from. */
export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compactRevision: number,
  ) {
    super(`etcd compacted its history up to revision ${compactRevision}, past revision ${requested}`);
    this.name = 'CompactedError';
  }
}

interface Waiter {
  readonly target: number;
  confirmed: boolean;
  readonly resolve: () => void;
}

/** What a {@link RawWatch} reports. */
export interface RawWatchHandlers {
  /** The events of one etcd watch response: whole revisions, in revision order. */
  events(events: readonly IEvent[]): void;
  /** The watch cannot go on (compacted history, or etcd cancelled it). */
  fail(error: Error): void;
}

/**
 * One etcd watch over a key range that survives etcd restarts and dropped connections: it tracks
 * the next revision it needs and, when the stream breaks, opens a new one from there after a backoff.
 *
 * @remarks etcd never splits one revision across watch responses (we do not ask for fragments), so
 * "the revision after the last event delivered" is an exact resume point; progress notifications
 * move it forward on quiet ranges so a resume rarely hits compaction.
 */
export class RawWatch {
  #next: number;
  #stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  #timer: TimerHandle | undefined;
  #delay: number;
  #closed = false;
  #accepted = false;
  #waiters: Waiter[] = [];

  constructor(
    private readonly client: Etcd3,
    private readonly key: Buffer,
    private readonly rangeEnd: Buffer,
    startRevision: number,
    private readonly handlers: RawWatchHandlers,
    private readonly clock: Clock,
    private readonly backoff: BackoffOptions,
    private readonly logger: Logger,
  ) {
    this.#next = startRevision;
    this.#delay = backoff.initialMs;
    this.#connect();
  }

  /**
   * Resolves once every event up to `revision` has been handed to `handlers.events` (at once if the
   * watch is past it; else after etcd confirms its progress), or the watch is closed.
   */
  reached(revision: number): Promise<void> {
    if (this.#closed || this.#next > revision) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ target: revision, confirmed: false, resolve });
      this.#requestProgress();
    });
  }

  /** Stops the watch and releases its stream. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#drop();
    this.#settleWaiters(Number.POSITIVE_INFINITY);
  }

  #connect(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.client.watchClient.watch().then(
      (stream) => {
        if (this.#closed) {
          stream.cancel();
          return;
        }
        this.#stream = stream;
        this.#accepted = false;
        const stale = () => this.#stream !== stream;
        stream.on('data', (res: IWatchResponse) => {
          if (!stale()) this.#onResponse(res);
        });
        stream.on('error', (error: Error) => {
          if (!stale()) this.#broken(error);
        });
        stream.on('end', () => {
          if (!stale()) this.#broken(new Error('the etcd watch stream ended'));
        });
        stream.write({
          create_request: {
            key: this.key,
            range_end: this.rangeEnd,
            start_revision: this.#next,
            prev_kv: true,
            progress_notify: true,
          },
        });
      },
      (error: unknown) => this.#broken(error),
    );
  }

  #onResponse(res: IWatchResponse): void {
    if (res.canceled) {
      const compacted = Number(res.compact_revision);
      if (compacted > 0) this.#fail(new CompactedError(this.#next, compacted));
      else this.#fail(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    if (res.created) {
      this.#delay = this.backoff.initialMs;
      this.#accepted = true;
      if (this.#waiters.length > 0) this.#requestProgress();
      return;
    }
    const events = res.events;
    if (events.length === 0) {
      const revision = Number(res.header.revision);
      if (res.watch_id === '-1') {
        this.#onRequestedProgress(revision);
        return;
      }
      // A periodic progress notification, sent to synced watchers only: nothing up to it is pending.
      if (revision + 1 > this.#next) this.#next = revision + 1;
      this.#settleWaiters(this.#next - 1);
      return;
    }
    this.#next = Math.max(this.#next, Number(events[events.length - 1]!.kv.mod_revision) + 1);
    this.handlers.events(events);
    this.#settleWaiters(this.#next - 1);
  }

  /**
   * etcd 3.4 may answer a progress request ahead of events already queued for the stream, so a
   * waiter trusts it only on a second answer (by then the queued events have been sent), and the
   * resume point never moves on it.
   */
  #onRequestedProgress(revision: number): void {
    let again = false;
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (revision < waiter.target) waiting.push(waiter);
      else if (waiter.confirmed) waiter.resolve();
      else {
        waiter.confirmed = true;
        waiting.push(waiter);
        again = true;
      }
    }
    this.#waiters = waiting;
    if (again || waiting.length > 0) this.#requestProgress();
  }

  #requestProgress(): void {
    if (this.#stream === undefined || !this.#accepted) return;
    this.#stream.write({ progress_request: {} });
  }

  #settleWaiters(through: number): void {
    if (this.#waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.target <= through) waiter.resolve();
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.close();
    this.handlers.fail(error);
  }

  #broken(error: unknown): void {
    if (this.#closed) return;
    this.#drop();
    const wait = this.#delay;
    this.#delay = Math.min(this.backoff.maxMs, this.#delay * 2);
    this.logger.warn(
      { err: error, resumeRevision: this.#next, retryInMs: wait },
      'etcd watch broken; resuming from the last revision',
    );
    this.#timer = this.clock.setTimeout(() => this.#connect(), wait);
  }

  #drop(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream !== undefined) {
      try {
        stream.cancel();
      } catch {
        // already gone
      }
    }
  }
}
