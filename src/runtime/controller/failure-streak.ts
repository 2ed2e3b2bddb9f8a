import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

/** The message of anything thrown, for the first words of a log line. @internal */
function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Consecutive failures of one thing (a controller, a watch, a source) and how their log reads:
 * the first failure of a streak at warn, the rest of the streak at debug (`msg` + " again"), and
 * one info line when it recovers, so a thing failing every few seconds shows once and does not
 * flood the log. A failure line leads with the error's message (`error`), then the caller's
 * fields (attempt, retry delay), then the error itself under `err`. @internal
 */
export class FailureStreak {
  readonly #clock: Clock;
  #attempts = 0;
  #since = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Failures since the last success. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Records one failure and logs it: at `level` (warn) when it starts a streak, at debug within one. */
  failed(
    logger: Logger,
    msg: string,
    error: unknown,
    fields: Record<string, unknown>,
    level: 'warn' | 'error' = 'warn',
  ): void {
    if (this.#attempts++ === 0) {
      this.#since = this.#clock.now();
      logger[level]({ error: errorMessage(error), ...fields, err: error }, msg);
    } else if (logger.isLevelEnabled('debug')) {
      logger.debug({ error: errorMessage(error), ...fields, err: error }, `${msg} again`);
    }
  }

  /** Ends a streak, if there is one, with one info line: how many failures and for how long. */
  recovered(logger: Logger, msg: string, fields: Record<string, unknown> = {}): void {
    if (this.#attempts === 0) return;
    const failures = this.#attempts;
    const failingForMs = this.#clock.now() - this.#since;
    this.#attempts = 0;
    logger.info({ ...fields, failures, failingForMs }, msg);
  }

  /** Forgets a streak without a line (the thing stopped). */
  reset(): void {
    this.#attempts = 0;
  }
}
