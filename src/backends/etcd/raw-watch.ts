import type { Etcd3, IDuplexStream, IEvent, IResponseHeader, IWatchRequest, IWatchResponse } from 'etcd3';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { OutageLog } from './outage-log.js';

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

/** What a {@link RawWatch} reports. */
export interface RawWatchHandlers {
  /** etcd accepted the watch; `header.revision` is etcd's revision at that moment. */
  created(header: IResponseHeader): void;
  /** The events of one etcd watch response: whole revisions, in revision order. */
  events(events: readonly IEvent[]): void;
  /** The watch cannot go on (compacted history, or etcd cancelled it). */
  fail(error: Error): void;
}

interface Waiter {
  readonly target: number;
  confirmed: boolean;
  readonly resolve: () => void;
}

/**
 * How long after a catching-up watch (re)connects its silence counts as "caught up": etcd 3.4 syncs
 * such watches every 100 ms and says nothing when the gap held no events of the range.
 */
const catchUpGraceMs = 300;

/**
 * One etcd watch over a key range that survives etcd restarts and dropped connections: it tracks
 * the next revision it needs and, when the stream breaks, opens a new one from there after a backoff.
 *
 * @remarks etcd never splits one revision across watch responses (we do not ask for fragments), so
 * "the revision after the last event delivered" is an exact resume point; progress notifications
 * move it forward on quiet ranges so a resume rarely hits compaction. Started without a revision,
 * the watch begins "now" (synced at once); `created` tells which revision that was.
 */
export class RawWatch {
  /** The next revision the watch needs; undefined until a watch started "now" is accepted. */
  #next: number | undefined;
  #stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  #timer: TimerHandle | undefined;
  #graceTimer: TimerHandle | undefined;
  #delay: number;
  #closed = false;
  #accepted = false;
  /** Set while the watch replays history up to this revision after (re)connecting. */
  #catchUp: { until: number; since: number } | undefined;
  #waiters: Waiter[] = [];
  #settleFirst: () => void = () => {};
  /** Settles at the first answer to the first attempt: accepted, or broken. */
  readonly firstAttempt: Promise<void>;

  constructor(
    private readonly client: Etcd3,
    private readonly key: Buffer,
    private readonly rangeEnd: Buffer,
    startRevision: number | undefined,
    private readonly handlers: RawWatchHandlers,
    private readonly clock: Clock,
    private readonly backoff: BackoffOptions,
    private readonly outage: OutageLog,
  ) {
    this.#next = startRevision;
    this.#delay = backoff.initialMs;
    this.firstAttempt = new Promise((resolve) => {
      this.#settleFirst = resolve;
    });
    this.#connect();
  }

  /**
   * Resolves once every event up to `revision` has been handed to `handlers.events` (at once if the
   * watch is past it; else after etcd confirms its progress), or the watch is closed.
   */
  reached(revision: number): Promise<void> {
    if (this.#closed || (this.#next !== undefined && this.#next > revision)) return Promise.resolve();
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
    if (this.#graceTimer !== undefined) this.clock.clearTimeout(this.#graceTimer);
    this.#drop();
    this.#settleFirst();
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
            ...(this.#next === undefined ? {} : { start_revision: this.#next }),
            prev_kv: true,
            progress_notify: true,
          },
        });
      },
      (error: unknown) => this.#broken(error),
    );
  }

  #onResponse(res: IWatchResponse): void {
    this.outage.up();
    if (res.canceled) {
      const compacted = Number(res.compact_revision);
      if (compacted > 0) this.#fail(new CompactedError(this.#next ?? 0, compacted));
      else this.#fail(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    if (res.created) {
      this.#onCreated(res.header);
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
      this.#catchUp = undefined;
      if (this.#next === undefined || revision + 1 > this.#next) this.#next = revision + 1;
      this.#settleWaiters(this.#next - 1);
      return;
    }
    const last = Number(events[events.length - 1]!.kv.mod_revision);
    this.#next = Math.max(this.#next ?? 0, last + 1);
    if (this.#catchUp !== undefined && last >= this.#catchUp.until) this.#catchUp = undefined;
    this.handlers.events(events);
    this.#settleWaiters(this.#next - 1);
  }

  #onCreated(header: IResponseHeader): void {
    const revision = Number(header.revision);
    this.#delay = this.backoff.initialMs;
    this.#accepted = true;
    if (this.#next === undefined) this.#next = revision + 1;
    else if (this.#next <= revision) this.#catchUp = { until: revision, since: this.clock.now() };
    this.#settleFirst();
    this.handlers.created(header);
    if (this.#waiters.length > 0) this.#requestProgress();
  }

  /**
   * etcd 3.4 may answer a progress request ahead of events already queued for the stream, and
   * before a catching-up watch has replayed its history; so a waiter trusts the answer only once the
   * watch is caught up, and only on a second answer (by then queued events have been sent). The
   * resume point never moves on it.
   */
  #onRequestedProgress(revision: number): void {
    const catchUp = this.#catchUp;
    if (catchUp !== undefined) {
      const left = catchUp.since + catchUpGraceMs - this.clock.now();
      if (left > 0) {
        if (this.#graceTimer === undefined) {
          this.#graceTimer = this.clock.setTimeout(() => {
            this.#graceTimer = undefined;
            this.#requestProgress();
          }, left);
        }
        return;
      }
      this.#catchUp = undefined;
    }
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
    if (again) this.#requestProgress();
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
    this.#settleFirst();
    const wait = this.#delay;
    this.#delay = Math.min(this.backoff.maxMs, this.#delay * 2);
    // One line per outage for all watches and calls of the store, not one per watch per retry.
    this.outage.down('watch', error);
    this.#timer = this.clock.setTimeout(() => this.#connect(), wait);
  }

  #drop(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#accepted = false;
    if (stream !== undefined) {
      try {
        stream.cancel();
      } catch {
        // already gone
      }
    }
  }
}
