import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { AnyResourceDefinition } from '../runtime/resource/define-resource.js';
import type { Kind } from '../runtime/resource/pointer.js';
import type { CoreState } from '../runtime/state/state.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';

/** Options of {@link followKind}. */
export interface FollowKindOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The warning a failed watch logs, e.g. `delete request watch failed; following again`. */
  readonly failure: string;
  /** Called when a watch failed, before it follows again: drop what the failed watch set up. */
  readonly onFailure?: () => void;
}

/** A kind followed by {@link followKind}. */
export interface FollowedKind {
  /** Stops following: unsubscribes and cancels a pending retry. */
  stop(): void;
}

/**
 * Follows a kind from its start (every resource as `created`, then `bootstrapped`) and, when the
 * watch fails, logs it and follows again from the start after 50 ms, doubling up to 5 s.
 */
export function followKind<TDef extends AnyResourceDefinition>(
  state: Pick<CoreState, 'watchKind'>,
  kind: Kind<TDef>,
  next: (event: WatchEvent<TDef>) => void,
  options: FollowKindOptions,
): FollowedKind {
  let subscription: { unsubscribe(): void } | undefined;
  let retry: TimerHandle | undefined;
  let stopped = false;
  const follow = (attempt: number): void => {
    if (stopped) return;
    subscription = state.watchKind(kind, { bootstrapContents: true }).subscribe({
      next,
      error: (error: unknown) => {
        options.logger.warn({ err: error }, options.failure);
        options.onFailure?.();
        if (stopped) return;
        retry = options.clock.setTimeout(() => follow(attempt + 1), Math.min(5_000, 50 * 2 ** attempt));
      },
    });
  };
  follow(0);
  return {
    stop() {
      stopped = true;
      subscription?.unsubscribe();
      if (retry !== undefined) options.clock.clearTimeout(retry);
    },
  };
}
