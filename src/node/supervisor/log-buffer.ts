/**
 * A service's recent output: a bounded ring of lines for `logs`, and a live stream for `logs -f`.
 */
import { Observable, Subject } from 'rxjs';

/** One stored line. */
export interface LogEntry {
  /** When it was written, RFC 3339. */
  readonly time: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** Bounded log of one service. */
export class LogBuffer {
  readonly #capacity: number;
  readonly #lines: LogEntry[] = [];
  readonly #live = new Subject<LogEntry>();

  constructor(capacity = 2_000) {
    this.#capacity = capacity;
  }

  /** Appends a line, dropping the oldest beyond capacity. */
  append(entry: LogEntry): void {
    this.#lines.push(entry);
    if (this.#lines.length > this.#capacity) this.#lines.splice(0, this.#lines.length - this.#capacity);
    this.#live.next(entry);
  }

  /** The last `tail` lines (all retained when omitted). */
  lines(tail?: number): readonly LogEntry[] {
    return tail === undefined ? [...this.#lines] : this.#lines.slice(-Math.max(0, tail));
  }

  /** The last `tail` lines, then every new one. */
  follow(tail = 0): Observable<LogEntry> {
    return new Observable<LogEntry>((subscriber) => {
      for (const entry of this.lines(tail)) subscriber.next(entry);
      return this.#live.subscribe(subscriber);
    });
  }
}
