import type { WatchEvent } from './watch-event.js';

/** Sizing of the per-kind history ring, as COSI's inmem store sizes it. */
export interface HistoryOptions {
  /** Capacity of a new ring (default 100). */
  initialCapacity?: number;
  /** The ring doubles up to this during its first fill (default 10,000). */
  maxCapacity?: number;
  /** Positions this close to being overwritten no longer resume (default 5). */
  gap?: number;
}

/** Resolved history options with defaults applied and checked. */
export interface HistoryConfig {
  readonly initialCapacity: number;
  readonly maxCapacity: number;
  readonly gap: number;
}

/** Applies defaults and rejects inconsistent sizes. */
export function resolveHistoryOptions(options: HistoryOptions = {}): HistoryConfig {
  const initialCapacity = options.initialCapacity ?? 100;
  const maxCapacity = Math.max(options.maxCapacity ?? 10_000, initialCapacity);
  const gap = options.gap ?? 5;
  if (!Number.isInteger(initialCapacity) || initialCapacity < 1) {
    throw new RangeError(`history initialCapacity must be a positive integer, got ${initialCapacity}`);
  }
  if (!Number.isInteger(gap) || gap < 0 || gap >= initialCapacity) {
    throw new RangeError(`history gap must be an integer in [0, initialCapacity), got ${gap}`);
  }
  return { initialCapacity, maxCapacity, gap };
}

/**
 * The history of one (namespace, type): a ring of the most recent events, addressed by a
 * monotonic position. It doubles while filling for the first time, as COSI's does, because after
 * the first wrap `pos % capacity` would map old positions elsewhere.
 */
export class History {
  #buffer: (WatchEvent | undefined)[];
  #capacity: number;
  readonly #maxCapacity: number;
  readonly gap: number;
  /** The position the next event gets; equals the number of events ever appended. */
  writePos = 0;

  constructor(config: HistoryConfig) {
    this.#capacity = config.initialCapacity;
    this.#maxCapacity = config.maxCapacity;
    this.gap = config.gap;
    this.#buffer = new Array(this.#capacity);
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Appends an event at position `writePos`; it is frozen, since every watcher shares it. */
  append(event: WatchEvent): void {
    if (this.writePos === this.#capacity && this.#capacity < this.#maxCapacity) {
      this.#capacity = Math.min(this.#capacity * 2, this.#maxCapacity);
      this.#buffer.length = this.#capacity;
    }
    this.#buffer[this.writePos % this.#capacity] = Object.freeze(event);
    this.writePos++;
  }

  /** The event at a retained position. */
  at(pos: number): WatchEvent {
    return this.#buffer[pos % this.#capacity]!;
  }

  /** True when the events from `pos` on have been overwritten. */
  overrun(pos: number): boolean {
    return this.writePos - pos > this.#capacity;
  }

  /** True while the ring still grows: nothing has been overwritten, and nothing will be before it is full. */
  #growing(): boolean {
    return this.#capacity < this.#maxCapacity;
  }

  /** The oldest position a bookmark may resume from (every position while the ring still grows). */
  oldestResumable(): number {
    if (this.#growing()) return 0;
    return Math.max(0, this.writePos - this.#capacity + this.gap);
  }

  /** How far back a tail may start: capacity − gap (of the full-grown ring), and no further than what was written. */
  tailLimit(): number {
    const capacity = this.#growing() ? this.#maxCapacity : this.#capacity;
    return Math.min(this.writePos, Math.max(0, capacity - this.gap));
  }
}
