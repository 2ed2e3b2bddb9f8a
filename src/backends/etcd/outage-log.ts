import type { Logger } from 'pino';
import type { Clock } from '../../runtime/clock.js';

/**
 * Tells the log about etcd outages, once each: one warning when the first call or watch of a store
 * finds etcd unreachable, one line when etcd answers again, with how long the outage lasted. Every
 * watch and call of the store reports here, so an outage is two lines however many are open.
 */
export class OutageLog {
  /** When the current outage began (clock ms), or undefined while etcd answers. */
  #since: number | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly endpoints: readonly string[],
  ) {}

  /** `what` failed because etcd is unreachable: starts an outage, logged if it is a new one. */
  down(what: string, error: unknown): void {
    if (this.#since !== undefined) return;
    this.#since = this.clock.now();
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      { endpoints: this.endpoints, during: what, error: message },
      `etcd unreachable (${what}: ${message}); retrying until it answers`,
    );
  }

  /** etcd answered: ends the outage, if there was one, saying how long it lasted. */
  up(): void {
    if (this.#since === undefined) return;
    const outageMs = this.clock.now() - this.#since;
    this.#since = undefined;
    this.logger.info({ endpoints: this.endpoints, outageMs }, `etcd reachable again after ${outageMs} ms`);
  }
}
