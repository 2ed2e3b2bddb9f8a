/**
 * An abort controller made only when its signal is asked for: most reconciles never look at
 * `ctx.signal`, and an `AbortController` with its `AbortSignal` costs more than a short reconcile.
 * Aborting before the signal exists makes it born aborted, with the same reason. @internal
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  /** The signal, made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Whether {@link abort} was called, without making the signal. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts the signal (now, or when it is made); later calls change nothing. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
