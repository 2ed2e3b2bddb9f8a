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

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/** Where a {@link RawWatch} is; each phase holds what only it needs. */
type RawWatchState =
  /** Asking etcd for a stream (`stream` undefined), then for the watch on it. */
  | { readonly phase: 'connecting'; readonly stream: WatchStream | undefined }
  /** Accepted and in sync: nothing before etcd's revision is pending. */
  | { readonly phase: 'watching'; readonly stream: WatchStream }
  /**
   * Accepted again after a break, replaying history up to `until` (etcd's revision at acceptance);
   * `grace` is the timer of a progress request held back while the replay may still be silent.
   */
  | {
      readonly phase: 'resyncing';
      readonly stream: WatchStream;
      readonly until: number;
      readonly since: number;
      grace: TimerHandle | undefined;
    }
  /** The stream broke (etcd unreachable, or it ended the stream): a new one opens after `timer`. */
  | { readonly phase: 'retrying'; readonly timer: TimerHandle }
  | { readonly phase: 'closed' };

/** The phase name of a {@link RawWatchState}. */
export type RawWatchPhase = RawWatchState['phase'];

const streamOf = (s: RawWatchState): WatchStream | undefined =>
  s.phase === 'connecting' || s.phase === 'watching' || s.phase === 'resyncing' ? s.stream : undefined;

/**
 * One etcd watch over a key range that survives etcd restarts and dropped connections: it tracks
 * the next revision it needs and, when the stream breaks, opens a new one from there after a backoff.
 *
 * @remarks A state machine: connecting → watching (or resyncing, while a resumed watch replays what
 * it missed, then watching) → retrying on a break → connecting …; closed from anywhere, for good.
 * Every change of phase goes through `#to`, which releases what the phase left behind held (its
 * stream, its timer). etcd never splits one revision across watch responses (we do not ask for
 * fragments), so "the revision after the last event delivered" is an exact resume point; progress
 * notifications move it forward on quiet ranges so a resume rarely hits compaction. Started without
 * a revision, the watch begins "now" (synced at once); `created` tells which revision that was.
 */
export class RawWatch {
  #state: RawWatchState = { phase: 'connecting', stream: undefined };
  /** The next revision the watch needs; undefined until a watch started "now" is accepted. */
  #next: number | undefined;
  /** The next reconnection delay. */
  #delay: number;
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

  /** The current phase (for logs and tests). */
  get phase(): RawWatchPhase {
    return this.#state.phase;
  }

  /**
   * Resolves once every event up to `revision` has been handed to `handlers.events` (at once if the
   * watch is past it; else after etcd confirms its progress), or the watch is closed.
   */
  reached(revision: number): Promise<void> {
    if (this.#state.phase === 'closed' || (this.#next !== undefined && this.#next > revision)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiters.push({ target: revision, confirmed: false, resolve });
      this.#requestProgress();
    });
  }

  /** Stops the watch and releases its stream: any phase → closed. */
  close(): void {
    if (this.#state.phase === 'closed') return;
    this.#to({ phase: 'closed' });
    this.#settleFirst();
    this.#settleWaiters(Number.POSITIVE_INFINITY);
  }

  /** Leaves the current phase for `next`, releasing the stream and timers `next` does not keep. */
  #to(next: RawWatchState): void {
    const current = this.#state;
    this.#state = next;
    if (current.phase === 'retrying') this.clock.clearTimeout(current.timer);
    if (current.phase === 'resyncing' && current.grace !== undefined) this.clock.clearTimeout(current.grace);
    const stream = streamOf(current);
    if (stream !== undefined && stream !== streamOf(next)) {
      try {
        stream.cancel();
      } catch {
        // already gone
      }
    }
  }

  /** (start | retrying) → connecting: asks etcd for a stream, then for the watch on it. */
  #connect(): void {
    const asking: RawWatchState = { phase: 'connecting', stream: undefined };
    this.#to(asking);
    this.client.watchClient.watch().then(
      (stream) => {
        if (this.#state !== asking) {
          stream.cancel();
          return;
        }
        this.#to({ phase: 'connecting', stream });
        const stale = () => streamOf(this.#state) !== stream;
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
      (error: unknown) => {
        if (this.#state === asking) this.#broken(error);
      },
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
      this.#accepted(res.header);
      return;
    }
    const events = res.events;
    if (events.length === 0) {
      const revision = Number(res.header.revision);
      if (res.watch_id === '-1') this.#onRequestedProgress(revision);
      else this.#onPeriodicProgress(revision);
      return;
    }
    const last = Number(events[events.length - 1]!.kv.mod_revision);
    this.#next = Math.max(this.#next ?? 0, last + 1);
    const s = this.#state;
    if (s.phase === 'resyncing' && last >= s.until) this.#to({ phase: 'watching', stream: s.stream });
    this.handlers.events(events);
    this.#settleWaiters(this.#next - 1);
  }

  /** connecting → watching, or resyncing when etcd is past the revision the watch resumes from. */
  #accepted(header: IResponseHeader): void {
    const s = this.#state;
    if (s.phase !== 'connecting' || s.stream === undefined) return;
    const revision = Number(header.revision);
    this.#delay = this.backoff.initialMs;
    if (this.#next === undefined) this.#next = revision + 1;
    if (this.#next <= revision) {
      this.#to({
        phase: 'resyncing',
        stream: s.stream,
        until: revision,
        since: this.clock.now(),
        grace: undefined,
      });
    } else {
      this.#to({ phase: 'watching', stream: s.stream });
    }
    this.#settleFirst();
    this.handlers.created(header);
    if (this.#waiters.length > 0) this.#requestProgress();
  }

  /** A periodic progress notification, sent to synced watchers only: resyncing → watching. */
  #onPeriodicProgress(revision: number): void {
    const s = this.#state;
    if (s.phase === 'resyncing') this.#to({ phase: 'watching', stream: s.stream });
    if (this.#next === undefined || revision + 1 > this.#next) this.#next = revision + 1;
    this.#settleWaiters(this.#next - 1);
  }

  /**
   * etcd 3.4 may answer a progress request ahead of events already queued for the stream, and
   * before a resyncing watch has replayed its history; so a waiter trusts the answer only once the
   * watch is watching (a resyncing one after a grace: resyncing → watching), and only on a second
   * answer (by then queued events have been sent). The resume point never moves on it.
   */
  #onRequestedProgress(revision: number): void {
    const s = this.#state;
    if (s.phase === 'resyncing') {
      const left = s.since + catchUpGraceMs - this.clock.now();
      if (left > 0) {
        s.grace ??= this.clock.setTimeout(() => {
          s.grace = undefined;
          this.#requestProgress();
        }, left);
        return;
      }
      this.#to({ phase: 'watching', stream: s.stream });
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
    const s = this.#state;
    if (s.phase === 'watching' || s.phase === 'resyncing') s.stream.write({ progress_request: {} });
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

  /** Any phase → closed, telling the handlers why. */
  #fail(error: Error): void {
    if (this.#state.phase === 'closed') return;
    this.close();
    this.handlers.fail(error);
  }

  /** (connecting | watching | resyncing) → retrying: the outage is logged once for the whole store. */
  #broken(error: unknown): void {
    if (this.#state.phase === 'closed' || this.#state.phase === 'retrying') return;
    const wait = this.#delay;
    this.#delay = Math.min(this.backoff.maxMs, this.#delay * 2);
    this.#to({ phase: 'retrying', timer: this.clock.setTimeout(() => this.#connect(), wait) });
    this.#settleFirst();
    // One line per outage for all watches and calls of the store, not one per watch per retry.
    this.outage.down('watch', error);
  }
}
