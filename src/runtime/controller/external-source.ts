import type { Observable } from 'rxjs';

/**
 * A stream of changes from outside the state (a platform's link events, a file watcher) that wakes
 * a controller as an input change does. Only the fact of an emission counts, not its value.
 */
export interface ExternalSource {
  /** Unique within a controller; names the source in logs, metrics and the dependency graph. */
  readonly name: string;
  /** Called once per runtime instance at start (and again to resubscribe after an error). */
  changes(): Observable<unknown>;
}

/**
 * Declares an external source of a controller.
 *
 * @example
 * ```ts
 * const LinkStatus = defineController({
 *   name: 'LinkStatusController',
 *   inputs: [],
 *   outputs: [output.exclusive(LinkStatuses)],
 *   sources: [source('netlink', () => platform.network.changes())],
 *   async reconcile(ctx) { ... },
 * });
 * ```
 */
export function source(name: string, changes: () => Observable<unknown>): ExternalSource {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`source: name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (typeof changes !== 'function') {
    throw new TypeError(`source ${JSON.stringify(name)}: changes must be a function returning an Observable`);
  }
  return Object.freeze({ name, changes });
}
