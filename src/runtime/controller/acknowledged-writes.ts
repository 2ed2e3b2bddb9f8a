/** How many acknowledged writes wait for their events before the oldest are forgotten. */
const capacity = 4096;
/** How far past the oldest waiting write an arriving event is looked for. */
const lookahead = 8;

/**
 * The stored values a runner wrote for its own bookkeeping, waiting for their change events so
 * that those events do not wake it again. Events of one kind arrive in write order, so a short
 * queue compared by identity does it: no hashing, and nothing kept once its event has passed.
 * An event that never comes (coalesced away, lost to a re-list) is skipped over by the lookahead
 * or pushed out by the cap; the cost of that is one extra run, never a missed one. @internal
 */
export class AcknowledgedWrites {
  #queue: object[] = [];
  #head = 0;

  /** Remembers a value whose change event should not count as news. */
  add(value: object): void {
    if (this.#queue.length - this.#head >= capacity) this.#head++;
    this.#queue.push(value);
  }

  /** True (and forgotten) when `value` is an acknowledged write; false for anything else. */
  take(value: object): boolean {
    const queue = this.#queue;
    const end = Math.min(queue.length, this.#head + lookahead);
    for (let i = this.#head; i < end; i++) {
      if (queue[i] !== value) continue;
      this.#head = i + 1;
      if (this.#head === queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
        this.#queue = queue.slice(this.#head);
        this.#head = 0;
      }
      return true;
    }
    return false;
  }
}
