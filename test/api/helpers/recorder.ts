import type { Observable, Subscription } from 'rxjs';
import type { WatchEvent } from '../../../src/runtime/state/watch-event.js';

/** Polls `condition` until it holds; the timeout is a safety net so a broken case fails instead of hanging. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Everything an Observable delivered, and how it ended. */
export class Recorded<T> {
  readonly items: T[] = [];
  error: unknown;
  completed = false;
  readonly #subscription: Subscription;
  constructor(observable: Observable<T>) {
    this.#subscription = observable.subscribe({
      next: (item) => this.items.push(item),
      error: (error: unknown) => {
        this.error = error;
      },
      complete: () => {
        this.completed = true;
      },
    });
  }
  stop(): void {
    this.#subscription.unsubscribe();
  }
}

/** Records a watch. */
export function record<T>(observable: Observable<T>): Recorded<T> {
  return new Recorded(observable);
}

/** A compact, comparable form of an event: type, id, version, the old version and spec, and the bookmark. */
export function brief(event: WatchEvent): string {
  switch (event.type) {
    case 'created':
    case 'updated':
    case 'destroyed': {
      const from =
        event.type === 'updated'
          ? ` from @${event.old.metadata.version}:${JSON.stringify(event.old.spec)}`
          : '';
      return `${event.type} ${event.resource.metadata.id}@${event.resource.metadata.version}${from}${event.bookmark ? ` ${event.bookmark}` : ''}`;
    }
    case 'bootstrapped':
      return `bootstrapped ${event.bookmark}`;
    case 'noop':
      return `noop ${event.bookmark}`;
  }
}
