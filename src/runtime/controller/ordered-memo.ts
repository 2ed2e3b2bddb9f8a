/** An entry of an {@link OrderedMemo}: anything with the id it is remembered by. */
export interface MemoEntry {
  readonly id: string;
}

/**
 * What a generic controller remembers per input id between runs, kept as an array in id order.
 * A run meets its inputs in id order too (`list` is sorted), so finding an input's entry is a
 * merge-join step: no hashing, sequential memory, and a run's entries become the next run's
 * memo by being pushed in order. Ids out of order (a backend sorting differently) fall back to a
 * map for that run. @internal
 */
export class OrderedMemo<TEntry extends MemoEntry> {
  #entries: TEntry[] = [];
  #sorted = true;

  /** Starts a run: lookups read the last run's entries, {@link RunMemo.keep} collects this run's. */
  beginRun(): RunMemo<TEntry> {
    return new RunMemo(this.#entries, this.#sorted, (entries, sorted) => {
      this.#entries = entries;
      this.#sorted = sorted;
    });
  }

  get size(): number {
    return this.#entries.length;
  }
}

/** One run's view of an {@link OrderedMemo}. @internal */
export class RunMemo<TEntry extends MemoEntry> {
  readonly #previous: TEntry[];
  readonly #previousSorted: boolean;
  readonly #commit: (entries: TEntry[], sorted: boolean) => void;
  #cursor = 0;
  #byId: Map<string, TEntry> | undefined;
  #lastAsked: string | undefined;
  readonly #kept: TEntry[] = [];
  #keptSorted = true;

  constructor(previous: TEntry[], sorted: boolean, commit: (entries: TEntry[], sorted: boolean) => void) {
    this.#previous = previous;
    this.#previousSorted = sorted;
    this.#commit = commit;
  }

  /** The last run's entry for `id`, if any. */
  find(id: string): TEntry | undefined {
    if (
      this.#byId === undefined &&
      (!this.#previousSorted || (this.#lastAsked !== undefined && !(this.#lastAsked < id)))
    ) {
      this.#byId = new Map(this.#previous.map((e) => [e.id, e]));
    }
    this.#lastAsked = id;
    if (this.#byId !== undefined) return this.#byId.get(id);
    const previous = this.#previous;
    let j = this.#cursor;
    while (j < previous.length && previous[j]!.id < id) j++;
    if (j < previous.length && previous[j]!.id === id) {
      this.#cursor = j + 1;
      return previous[j];
    }
    this.#cursor = j;
    return undefined;
  }

  /** Keeps an entry for the next run (entries not kept are forgotten). */
  keep(entry: TEntry): void {
    const kept = this.#kept;
    if (kept.length > 0 && !(kept[kept.length - 1]!.id < entry.id)) this.#keptSorted = false;
    kept.push(entry);
  }

  /** This run's kept entries, in the order kept. */
  kept(): readonly TEntry[] {
    return this.#kept;
  }

  /** Makes this run's entries the memo. */
  commit(): void {
    this.#commit(this.#kept, this.#keptSorted);
  }
}
