import type { Clock, TimerHandle } from '../clock.js';

/** One key of a {@link WorkQueue}. @internal */
export interface QueueEntry<T> {
  readonly key: string;
  /** The latest value put for the key. */
  value: T;
  state: 'ready' | 'delayed' | 'active';
  /** Set by the consumer once the active entry's work has really begun. */
  started: boolean;
  /** A put arrived after the work began: run again on release. */
  dirty: boolean;
  /** Consecutive failures, for per-item backoff. */
  failures: number;
  due: number;
  seq: number;
  heapIndex: number;
}

/**
 * A keyed work queue, as COSI's QController queue: puts deduplicate by key (the latest value wins);
 * an active key is never handed out again until released, and puts meanwhile mark it to run once
 * more; ready keys leave in FIFO order; delayed keys wait in a heap ordered by (due, arrival) under
 * one clock timer, and a fresh put pulls a delayed key forward to now. @internal
 */
export class WorkQueue<T> {
  readonly #clock: Clock;
  readonly #onReady: () => void;
  readonly #entries = new Map<string, QueueEntry<T>>();
  #ready: (QueueEntry<T> | undefined)[] = [];
  #head = 0;
  readonly #heap: QueueEntry<T>[] = [];
  #timer: TimerHandle | undefined;
  #timerDue = 0;
  #seq = 0;

  constructor(clock: Clock, onReady: () => void) {
    this.#clock = clock;
    this.#onReady = onReady;
  }

  get readyCount(): number {
    return this.#ready.length - this.#head;
  }

  get delayedCount(): number {
    return this.#heap.length;
  }

  /** Queues work for a key now. */
  put(key: string, value: T): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      const fresh: QueueEntry<T> = {
        key,
        value,
        state: 'ready',
        started: false,
        dirty: false,
        failures: 0,
        due: 0,
        seq: 0,
        heapIndex: -1,
      };
      this.#entries.set(key, fresh);
      this.#pushReady(fresh);
      this.#onReady();
      return;
    }
    entry.value = value;
    if (entry.state === 'active') {
      if (entry.started) entry.dirty = true;
    } else if (entry.state === 'delayed') {
      this.#heapRemove(entry);
      this.#pushReady(entry);
      this.#armTimer();
      this.#onReady();
    }
  }

  /** Hands out the oldest ready key, now active; `undefined` when none is ready. */
  take(): QueueEntry<T> | undefined {
    while (this.#head < this.#ready.length) {
      const entry = this.#ready[this.#head];
      this.#ready[this.#head++] = undefined;
      if (entry !== undefined && entry.state === 'ready') {
        entry.state = 'active';
        entry.started = false;
        entry.dirty = false;
        if (this.#head === this.#ready.length) {
          this.#ready = [];
          this.#head = 0;
        }
        return entry;
      }
    }
    return undefined;
  }

  /**
   * Ends the work on an active key: run it again now if a put arrived meanwhile, else after
   * `delay` ms if given, else forget it.
   */
  release(entry: QueueEntry<T>, delay: number | undefined): void {
    if (entry.dirty || delay === 0) {
      // Due now is ready now: a virtual clock would fire a 0 ms timer only when advanced.
      this.#pushReady(entry);
      this.#onReady();
    } else if (delay !== undefined) {
      entry.state = 'delayed';
      entry.due = this.#clock.now() + delay;
      entry.seq = this.#seq++;
      this.#heapPush(entry);
      this.#armTimer();
    } else {
      this.#entries.delete(entry.key);
    }
  }

  /** Forgets everything and cancels the timer. */
  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
    this.#ready = [];
    this.#head = 0;
    this.#heap.length = 0;
  }

  #pushReady(entry: QueueEntry<T>): void {
    entry.state = 'ready';
    entry.dirty = false;
    this.#ready.push(entry);
  }

  #armTimer(): void {
    const top = this.#heap[0];
    if (top === undefined) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer !== undefined && this.#timerDue === top.due) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerDue = top.due;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, top.due - this.#clock.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    let moved = false;
    while (this.#heap.length > 0 && this.#heap[0]!.due <= now) {
      const entry = this.#heap[0]!;
      this.#heapRemove(entry);
      this.#pushReady(entry);
      moved = true;
    }
    this.#armTimer();
    if (moved) this.#onReady();
  };

  #less(a: QueueEntry<T>, b: QueueEntry<T>): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #heapPush(entry: QueueEntry<T>): void {
    entry.heapIndex = this.#heap.length;
    this.#heap.push(entry);
    this.#siftUp(entry.heapIndex);
  }

  #heapRemove(entry: QueueEntry<T>): void {
    const heap = this.#heap;
    const i = entry.heapIndex;
    const last = heap.pop()!;
    entry.heapIndex = -1;
    if (last !== entry) {
      heap[i] = last;
      last.heapIndex = i;
      this.#siftUp(i);
      this.#siftDown(last.heapIndex);
    }
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && this.#less(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && this.#less(heap[r]!, heap[best]!)) best = r;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const x = heap[a]!;
    const y = heap[b]!;
    heap[a] = y;
    heap[b] = x;
    x.heapIndex = b;
    y.heapIndex = a;
  }
}
