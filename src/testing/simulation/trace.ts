/** What a trace entry records. */
export type TraceKind = 'op' | 'task' | 'delivery' | 'fault' | 'time' | 'runtime' | 'reconcile' | 'violation';

/** One line of a simulation's event trace. */
export interface TraceEntry {
  /** The scheduler step it happened in. */
  readonly step: number;
  /** Virtual milliseconds since the simulation started. */
  readonly at: number;
  readonly kind: TraceKind;
  readonly text: string;
}

/**
 * The event trace of a run: every user operation, task, fault and reconcile, keeping the most recent
 * `capacity` entries (older ones are counted, not kept).
 */
export class Trace {
  readonly #capacity: number;
  readonly #ring: TraceEntry[] = [];
  #total = 0;

  constructor(capacity = 500) {
    if (!(capacity >= 1)) throw new RangeError(`trace capacity must be >= 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** Appends an entry. */
  add(step: number, at: number, kind: TraceKind, text: string): void {
    const entry = { step, at, kind, text };
    if (this.#ring.length < this.#capacity) this.#ring.push(entry);
    else this.#ring[this.#total % this.#capacity] = entry;
    this.#total++;
  }

  /** How many entries were ever added. */
  get total(): number {
    return this.#total;
  }

  /** The kept entries, oldest first. */
  entries(): TraceEntry[] {
    if (this.#total <= this.#capacity) return [...this.#ring];
    const at = this.#total % this.#capacity;
    return [...this.#ring.slice(at), ...this.#ring.slice(0, at)];
  }

  /** The last `n` kept entries as text lines. */
  format(n = this.#capacity): string[] {
    const entries = this.entries().slice(-n);
    const lines = entries.map(
      (e) => `#${String(e.step).padStart(5)} +${String(e.at).padStart(7)}ms ${e.kind.padEnd(9)} ${e.text}`,
    );
    const dropped = this.#total - entries.length;
    return dropped > 0 ? [`… ${dropped} earlier entries`, ...lines] : lines;
  }
}
