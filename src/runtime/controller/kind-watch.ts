import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../clock.js';
import { isInvalidBookmarkError, isOverrunError } from '../errors.js';
import { equalResources } from '../resource/equality.js';
import type { AnyResource } from '../resource/resource.js';
import type { CoreState, WatchKindOptions } from '../state/state.js';
import type { WatchEvent } from '../state/watch-event.js';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { FailureStreak } from './failure-streak.js';

/** One change of an id since the last fan-out, in the order they happened. @internal */
export interface KindChange {
  readonly type: 'created' | 'updated' | 'destroyed';
  /** The new value, or the last value for `destroyed`. */
  readonly resource: AnyResource;
}

/** Pending changes kept before repeated changes of the same ids are compacted. */
const compactAbove = 4096;
/** How many of the latest pending changes are looked at to tell repeated ids from distinct ones. */
const compactSample = 256;

/** What a kind watch needs from the runtime. @internal */
export interface KindWatchHost {
  readonly state: CoreState;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  /** Hands a fan-out of this kind's pending changes to the scheduler. */
  scheduleFanOut(watch: KindWatch): void;
  /** Marks internal work in progress (counts against `settled()`). */
  busy(delta: 1 | -1): void;
  /** Something arrived: settled() must look again. */
  activity(): void;
  /** The kind was re-listed after lost events: dependents must look again even where no diff shows. */
  relisted(watch: KindWatch): void;
}

/**
 * The runtime's one shared watch of a (namespace, type): it dedups changes by id between fan-outs
 * and, for queue controllers, keeps the last value of every id it knows, so that when the watch
 * fails (a buffer overrun, a dropped connection) it can re-list the kind, diff the snapshot against
 * what it knew, and hand the differences on as ordinary changes: nothing is lost and nothing stops.
 * Full controllers need no diff (a re-list wakes them to look at everything), so a kind only they
 * read keeps no copy of its ids. @internal
 */
export class KindWatch {
  readonly key: string;
  /** Last known value of every id of the kind, while {@link tracksKnown}. */
  readonly known = new Map<string, AnyResource>();
  /**
   * Changes not yet fanned out, in order. A list, not a map by id: dependents coalesce repeated
   * changes of an id themselves, and a push is several times cheaper than a map write per event.
   */
  pending: KindChange[] = [];
  fanOutScheduled = false;
  events = 0;
  relists = 0;
  errors = 0;

  readonly #host: KindWatchHost;
  #subscription: Subscription | undefined;
  #bookmark: string | undefined;
  /** Set while a (re-)bootstrap snapshot is being received. */
  #snapshot: Map<string, AnyResource> | undefined;
  #relisting = false;
  /** Failures since events last arrived: logged once, and once when the watch delivers again. */
  readonly #streak: FailureStreak;
  #retryTimer: TimerHandle | undefined;
  #closed = false;

  #tracksKnown: boolean;
  /** The pending length past which repeated changes of an id are compacted. */
  #compactAt = compactAbove;

  constructor(
    readonly namespace: string,
    readonly type: string,
    host: KindWatchHost,
    tracksKnown: boolean,
  ) {
    this.key = `${namespace}\0${type}`;
    this.#host = host;
    this.#streak = new FailureStreak(host.clock);
    this.#tracksKnown = tracksKnown;
  }

  /** Whether `known` is kept: a queue controller reads the kind. */
  get tracksKnown(): boolean {
    return this.#tracksKnown;
  }

  /** Starts keeping `known` (a queue controller now reads the kind), re-listing to fill it. */
  trackKnown(): void {
    if (this.#tracksKnown) return;
    this.#tracksKnown = true;
    if (this.#closed || (this.#subscription === undefined && this.#retryTimer === undefined)) return;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    if (this.#retryTimer !== undefined) this.#host.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // Diffed against an empty `known`, every id comes out as created: queue controllers see them all.
    this.#relisting = true;
    this.#subscribe({ bootstrapContents: true });
  }

  /** Opens the watch with a snapshot that fills `known` without waking anyone. */
  open(): void {
    this.#subscribe({ bootstrapContents: true });
  }

  /** Takes the pending changes (the fan-out task calls this). */
  take(): readonly KindChange[] {
    const changes = this.pending;
    this.pending = [];
    this.#compactAt = compactAbove;
    this.fanOutScheduled = false;
    return changes;
  }

  close(): void {
    this.#closed = true;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    if (this.#retryTimer !== undefined) this.#host.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #subscribe(options: WatchKindOptions): void {
    if (options.bootstrapContents) this.#snapshot = new Map();
    const kind = { namespace: this.namespace, type: this.type };
    let subscription: Subscription | undefined;
    let failed = false;
    subscription = this.#host.state.watchKindAggregated(kind, options).subscribe({
      next: (batch) => this.#onBatch(batch),
      error: (error: unknown) => {
        failed = true;
        if (subscription === this.#subscription) this.#onError(error);
      },
    });
    if (!failed) this.#subscription = subscription;
    else this.#subscription = undefined;
  }

  #onBatch(batch: readonly WatchEvent[]): void {
    const snapshot = this.#snapshot;
    let changed = false;
    for (const event of batch) {
      switch (event.type) {
        case 'noop':
          this.#bookmark = event.bookmark;
          break;
        case 'bootstrapped':
          this.#bookmark = event.bookmark;
          if (this.#streak.attempts > 0) this.#recovered();
          if (snapshot !== undefined) {
            this.#snapshot = undefined;
            const relisted = this.#relisting;
            if (!this.#tracksKnown) {
              // Nothing to diff against: the dependents' resync below covers what was lost.
            } else if (relisted) changed = this.#diff(snapshot) || changed;
            else for (const [id, r] of snapshot) this.known.set(id, r);
            this.#relisting = false;
            // Lost events may have touched ids this watch never knew (created and destroyed while it
            // was down, yet read by a reconcile): a diff cannot show those, so dependents resync.
            if (relisted) this.#host.relisted(this);
          }
          break;
        default: {
          const r = event.resource;
          if (snapshot !== undefined && this.#snapshot === snapshot) {
            snapshot.set(r.metadata.id, r as AnyResource);
            break;
          }
          if (event.bookmark !== undefined) this.#bookmark = event.bookmark;
          if (this.#streak.attempts > 0) this.#recovered();
          this.events++;
          if (this.#tracksKnown) {
            const id = r.metadata.id;
            if (event.type === 'destroyed') this.known.delete(id);
            else this.known.set(id, r as AnyResource);
          }
          // The event itself is the change: no copy.
          this.pending.push(event as KindChange);
          changed = true;
        }
      }
    }
    // Many writes of few ids before a fan-out runs: keep the last change of each id only.
    if (this.pending.length > this.#compactAt) this.#compactIfRepeating();
    this.#host.activity();
    if (changed && !this.fanOutScheduled) {
      this.fanOutScheduled = true;
      this.#host.scheduleFanOut(this);
    }
  }

  /**
   * Compacts when the latest changes are mostly of ids seen among them already (a few ids written
   * over and over); many distinct ids would not shrink, so then it only waits for twice as many.
   */
  #compactIfRepeating(): void {
    const pending = this.pending;
    const sample = new Set<string>();
    for (let i = Math.max(0, pending.length - compactSample); i < pending.length; i++) {
      sample.add(pending[i]!.resource.metadata.id);
    }
    if (sample.size * 2 <= compactSample) this.#compact();
    else this.#compactAt = 2 * pending.length;
  }

  /** Drops every pending change that a later change of the same id supersedes. */
  #compact(): void {
    const last = new Map<string, KindChange>();
    for (const change of this.pending) {
      const id = change.resource.metadata.id;
      last.delete(id);
      last.set(id, change);
    }
    this.pending = [...last.values()];
    // Many distinct ids do not shrink: wait until the list doubles before trying again.
    this.#compactAt = Math.max(compactAbove, 2 * this.pending.length);
  }

  /** Replaces `known` by a fresh snapshot; every difference becomes a pending change. */
  #diff(snapshot: Map<string, AnyResource>): boolean {
    let changed = false;
    for (const [id, old] of this.known) {
      if (!snapshot.has(id)) {
        this.known.delete(id);
        this.pending.push({ type: 'destroyed', resource: old });
        changed = true;
      }
    }
    for (const [id, r] of snapshot) {
      const old = this.known.get(id);
      if (
        old !== undefined &&
        (old === r || (old.metadata.updated === r.metadata.updated && equalResources(old, r)))
      ) {
        continue;
      }
      this.known.set(id, r);
      this.pending.push({ type: old === undefined ? 'created' : 'updated', resource: r });
      changed = true;
    }
    return changed;
  }

  #recovered(): void {
    this.#streak.recovered(this.#host.logger, 'watch recovered', {
      namespace: this.namespace,
      type: this.type,
    });
  }

  #onError(error: unknown): void {
    this.#subscription = undefined;
    this.#snapshot = undefined;
    if (this.#closed) return;
    this.errors++;
    const attempt = this.#streak.attempts + 1;
    // An overrun (or a bookmark the store no longer has) means events were lost: re-list and diff.
    // Anything else (a dropped connection) first tries to resume from the last bookmark.
    const relist = isOverrunError(error) || isInvalidBookmarkError(error) || this.#bookmark === undefined;
    const delay = attempt <= 1 ? 0 : backoffDelay(attempt - 1, this.#host.backoff, this.#host.random);
    this.#streak.failed(
      this.#host.logger,
      relist ? 'watch failed: re-listing the kind' : 'watch failed: resuming from the last bookmark',
      error,
      {
        namespace: this.namespace,
        type: this.type,
        attempt,
        retryInMs: delay,
      },
    );
    const resubscribe = () => {
      if (this.#closed) return;
      if (relist) {
        this.relists++;
        this.#relisting = true;
        this.#subscribe({ bootstrapContents: true });
      } else {
        this.#subscribe({ startFromBookmark: this.#bookmark! });
      }
    };
    if (delay === 0) {
      // Not from inside the failing delivery: the store may still be iterating its watchers.
      this.#host.busy(1);
      queueMicrotask(() => {
        try {
          resubscribe();
        } finally {
          this.#host.busy(-1);
        }
      });
    } else {
      this.#retryTimer = this.#host.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        resubscribe();
      }, delay);
    }
  }
}
