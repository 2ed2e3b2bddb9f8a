import { describe } from 'vitest';
import type { State } from '../../index.js';
import { bookmarkCases } from './bookmarks.js';
import { crudCases } from './crud.js';
import { helperCases } from './helpers.js';
import { historyCases } from './history.js';
import { lifecycleCases } from './lifecycle.js';
import { queryCases } from './queries.js';
import { type StateConformanceOptions, useSuiteContext } from './support.js';
import { transactionCases } from './transactions.js';
import { updateCases } from './update.js';
import { watchCases } from './watch.js';
import { watchKindCases } from './watch-kind.js';

export type { StateConformanceOptions } from './support.js';

/**
 * Defines vitest tests of every semantic of the state contract (resources, state, watches,
 * queries, transactions, helpers) against a backend.
 *
 * @example
 * ```ts
 * describeStateConformance('in-memory', () => createState(), { history: { capacity: 10_000, gap: 5 } });
 * ```
 * @remarks `makeState` must return a fresh, isolated store for each test (a new key prefix for a
 * shared server); `options.cleanup` releases it afterwards. A backend without tail events declares
 * `capabilities: { tailEvents: false }`, and the tail cases then expect `UnsupportedError`.
 */
export function describeStateConformance(
  name: string,
  makeState: () => State | Promise<State>,
  options: StateConformanceOptions = {},
): void {
  describe(`state conformance: ${name}`, () => {
    const ctx = useSuiteContext(makeState, options);
    crudCases(ctx);
    updateCases(ctx);
    watchCases(ctx);
    watchKindCases(ctx);
    bookmarkCases(ctx);
    queryCases(ctx);
    transactionCases(ctx);
    helperCases(ctx);
    lifecycleCases(ctx);
    historyCases(ctx);
  });
}
