import { formatPointer, type Pointer } from '../../runtime/resource/pointer.js';
import type { State } from '../../runtime/state/state.js';
import { errorText } from './invariants.js';

/** Users' destroys that wait in the background for finalizers, as `teardownAndDestroy` does. @internal */
export class BackgroundDestroys {
  readonly #running = new Map<string, Promise<void>>();
  /** Destroys that failed, as text: a run with any of them is stuck. */
  readonly errors: string[] = [];

  constructor(
    private readonly user: State,
    private readonly completed: (text: string) => void,
  ) {}

  /** Starts destroying `pointer` in the background. */
  start(pointer: Pointer): void {
    const key = formatPointer(pointer);
    const done = this.user.teardownAndDestroy(pointer).then(
      () => {
        this.#running.delete(key);
        this.completed(`destroy of ${key} completed`);
      },
      (error: unknown) => {
        this.#running.delete(key);
        this.errors.push(`destroy of ${key} failed: ${errorText(error)}`);
      },
    );
    this.#running.set(key, done);
  }

  /** The background destroy of a pointer, while it runs. */
  pending(pointer: Pointer): Promise<void> | undefined {
    return this.#running.get(formatPointer(pointer));
  }
}
