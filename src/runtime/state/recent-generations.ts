/**
 * Keeps every generation of an id distinguishable by its `created`.
 *
 * Versions restart at 1 when an id is destroyed and created again, so `created` is what tells two
 * generations apart (the `expectedCreated` precondition compares it). Two generations made in the
 * same millisecond (one transaction, a fast caller, or a clock that stands still) would share the
 * clock reading; the later one gets sub-millisecond digits counting up from the earlier one.
 *
 * Only generations created and destroyed within the current millisecond can be confused with a new
 * one (a later create reads a later clock), so that is all this remembers: the memory is cleared
 * whenever the clock moves on, and holds at most the ids destroyed within one millisecond.
 */
export class RecentGenerations {
  /** `created` of generations destroyed within {@link #millisecond}, by namespace, type and id. */
  readonly #destroyed = new Map<string, string>();
  #millisecond = '';

  /**
   * The `created` of a new generation at `now` (a plain clock reading): `now`, unless the previous
   * generation (`previous` when the caller knows it, e.g. destroyed earlier in the same transaction,
   * else the remembered one) got the same millisecond; then one more sub-millisecond step.
   */
  createdFor(namespace: string, type: string, id: string, now: string, previous?: string): string {
    let before = previous;
    if (before === undefined && this.#destroyed.size > 0) {
      this.#moveTo(now);
      before = this.#destroyed.get(keyOf(namespace, type, id));
    }
    if (before === undefined) return now;
    const last = subMillisecond.exec(before);
    const base = now.slice(0, -1);
    if (last === null || last[1] !== base) return now;
    return `${base}${String(Number(last[2] || '0') + 1).padStart(3, '0')}Z`;
  }

  /** Notes that a generation created at `created` was destroyed at `now` (a plain clock reading). */
  destroyed(namespace: string, type: string, id: string, created: string, now: string): void {
    const sameMillisecond = created.startsWith(now.slice(0, -1));
    if (!sameMillisecond && this.#destroyed.size === 0) return;
    this.#moveTo(now);
    const key = keyOf(namespace, type, id);
    if (sameMillisecond) this.#destroyed.set(key, created);
    else this.#destroyed.delete(key);
  }

  #moveTo(now: string): void {
    if (now === this.#millisecond) return;
    this.#millisecond = now;
    this.#destroyed.clear();
  }
}

/** A plain clock reading's millisecond, then any sub-millisecond digits added here. */
const subMillisecond = /^(.*\.\d{3})(\d*)Z$/;

function keyOf(namespace: string, type: string, id: string): string {
  return `${namespace}\0${type}\0${id}`;
}
