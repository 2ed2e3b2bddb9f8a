/** How many acknowledged writes wait for their events before the oldest are forgotten. */
const capacity = 4096;

/** What identifies a stored value in its change event: its id and version (events may be copies). */
export interface Written {
  readonly metadata: {
    readonly namespace: string;
    readonly type: string;
    readonly id: string;
    readonly version: number;
  };
}

/** The identity of a resource, without its version. */
interface Identity {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
}

function keyOf(m: Identity): string {
  return `${m.namespace}\0${m.type}\0${m.id}`;
}

/** Writes of one id under way, and the versions of its events that arrived meanwhile. */
interface InFlight {
  count: number;
  readonly arrived: number[];
}

/**
 * The stored values a runner wrote for its own bookkeeping, so that their change events do not wake
 * it again. Keyed by what an event really carries, id and version, so decoded copies (etcd, a
 * remote API) match as the stored object does. An event may arrive before the write's reply (a
 * separate watch stream): events of an id with a write under way are held until the reply says
 * whether they were that write. Events of one id arrive in version order, so a later version proves
 * an acknowledged one lost (coalesced, re-listed) and drops it; a cap bounds whatever is never
 * proven lost. A forgotten acknowledgement costs one extra run, never a missed one. @internal
 */
export class AcknowledgedWrites {
  /** Key → acknowledged version, oldest first (a Map keeps insertion order). */
  readonly #versions = new Map<string, number>();
  readonly #inFlight = new Map<string, InFlight>();
  /**
   * A live iterator over `#versions` that eviction advances: everything before it was evicted or
   * moved to the end, so its next key is the oldest. A fresh `keys().next()` per eviction would
   * walk over every deleted slot at the front of the Map again (a transform's batch of 10k writes
   * keeps the Map full, and that walk took more time than the writes).
   */
  #oldest: Iterator<string> | undefined;

  /** How many acknowledgements wait for their events. */
  get size(): number {
    return this.#versions.size;
  }

  /** Writes of these ids are about to be sent: hold their events until {@link end}. */
  begin(targets: readonly Identity[]): void {
    for (const t of targets) {
      const key = keyOf(t);
      const entry = this.#inFlight.get(key);
      if (entry === undefined) this.#inFlight.set(key, { count: 1, arrived: [] });
      else entry.count++;
    }
  }

  /**
   * The writes begun for `targets` returned `stored` (in the same order), or failed (`undefined`).
   * Returns true when an event held meanwhile was someone else's change: the runner must wake.
   */
  end(targets: readonly Identity[], stored: readonly (Written | null | undefined)[] | undefined): boolean {
    let news = false;
    targets.forEach((t, i) => {
      const key = keyOf(t);
      const entry = this.#inFlight.get(key);
      if (entry === undefined) return;
      const version = stored?.[i]?.metadata.version;
      const at = version === undefined ? -1 : entry.arrived.indexOf(version);
      if (at >= 0) entry.arrived.splice(at, 1);
      else if (version !== undefined) this.add(stored![i]!);
      if (--entry.count > 0) return;
      this.#inFlight.delete(key);
      if (entry.arrived.length > 0) news = true;
    });
    return news;
  }

  /** Remembers a value whose change event should not count as news. */
  add(value: Written): void {
    const key = keyOf(value.metadata);
    // Re-inserted, so the newest acknowledgement of an id is the last to be evicted.
    this.#versions.delete(key);
    if (this.#versions.size >= capacity) this.#evictOldest();
    this.#versions.set(key, value.metadata.version);
  }

  #evictOldest(): void {
    let next = this.#oldest?.next();
    if (next === undefined || next.done === true) {
      this.#oldest = this.#versions.keys();
      next = this.#oldest.next();
    }
    if (next.done !== true) this.#versions.delete(next.value);
  }

  /**
   * True when the event need not wake the runner now: an acknowledged write (then forgotten), or an
   * event of an id with a write under way (decided by {@link end}). False for anything else.
   */
  take(value: Written): boolean {
    const m = value.metadata;
    if (this.#versions.size === 0 && this.#inFlight.size === 0) return false;
    const key = keyOf(m);
    const version = this.#versions.get(key);
    if (version !== undefined) {
      if (m.version === version) {
        this.#versions.delete(key);
        return true;
      }
      // A later version: the acknowledged event will never come. (An earlier one is someone else's
      // change before ours, or a new generation of the id; the cap takes care of the latter.)
      if (m.version > version) this.#versions.delete(key);
    }
    const inFlight = this.#inFlight.get(key);
    if (inFlight === undefined) return false;
    inFlight.arrived.push(m.version);
    return true;
  }

  /** Forgets what waits for events: they were lost (a re-list), and the runner looks again anyway. */
  clear(): void {
    this.#versions.clear();
    for (const entry of this.#inFlight.values()) entry.arrived.length = 0;
  }
}
