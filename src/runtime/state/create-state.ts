import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { HistoryOptions } from './history.js';
import { InMemoryStore } from './in-memory-store.js';
import type { State } from './state.js';
import { withStateHelpers } from './state-helpers.js';

/** Options of {@link createState}; every one is optional. */
export interface CreateStateOptions {
  /** Sizing of each kind's history ring (defaults: 100 growing to 10,000, gap 5). */
  history?: HistoryOptions;
  /** The time source for timestamps (defaults to the wall clock). */
  clock?: Clock;
  /** Accepted for symmetry with the runtime; the store itself logs nothing on its hot paths. */
  logger?: Logger;
  /** Register resource definitions and namespaces in `meta` as they are first written (default true). */
  registerMeta?: boolean;
  /**
   * The definitions to validate specs with, exactly (besides the meta types). By default the store
   * uses every `defineResource` of the process. `state.registerDefinition(d)` adds more later.
   */
  definitions?: readonly AnyResourceDefinition[];
}

/**
 * Creates an in-memory state store with the contract's helpers.
 *
 * @example
 * ```ts
 * const state = createState({ history: { initialCapacity: 100, maxCapacity: 10_000, gap: 5 } });
 * await state.create(Paths.make('a', { value: 1 }));
 * ```
 */
export function createState(options: CreateStateOptions = {}): State {
  return withStateHelpers(
    new InMemoryStore({
      ...(options.history ? { history: options.history } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.registerMeta !== undefined ? { registerMeta: options.registerMeta } : {}),
      ...(options.definitions !== undefined ? { definitions: options.definitions } : {}),
    }),
  );
}
