import { type Logger, pino } from 'pino';
import { Observable } from 'rxjs';
import { z } from 'zod';
import {
  type AnyResourceDefinition,
  type ControllerDefinition,
  createRuntime,
  createState,
  defineController,
  defineResource,
  input,
  output,
  pointerOf,
  type Runtime,
  type RuntimeOptions,
  type State,
} from '../../../src/index.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/index.js';

export const Ints = defineResource({
  type: 'Ints.ctrl.test.converge.dev',
  spec: z.object({ value: z.number() }),
});
export const Strs = defineResource({
  type: 'Strs.ctrl.test.converge.dev',
  spec: z.object({ value: z.string() }),
});
export const Sentences = defineResource({
  type: 'Sentences.ctrl.test.converge.dev',
  spec: z.object({ value: z.string() }),
});
export const Sums = defineResource({
  type: 'Sums.ctrl.test.converge.dev',
  defaultNamespace: 'target',
  spec: z.object({ value: z.number() }),
});

/** A state whose watch subscriptions are counted, to prove `stop()` leaves none behind. */
function countingState(inner: State): { state: State; open: () => number } {
  let open = 0;
  const state: State = {
    ...inner,
    watchKindAggregated: (kind, options) =>
      new Observable((subscriber) => {
        open++;
        const s = inner.watchKindAggregated(kind, options).subscribe(subscriber);
        return () => {
          open--;
          s.unsubscribe();
        };
      }),
  };
  return { state, open: () => open };
}

/** A log sink that keeps every record, for asserting on what the runtime logged. */
export function memoryLogger(level = 'debug'): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    {
      write(line: string) {
        records.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, records };
}

export interface Harness {
  clock: VirtualClock;
  state: State;
  runtime: Runtime;
  open: () => number;
}

/**
 * A virtual clock, a state, a runtime with jitter pinned to 0.5 (so backoff is exact), stop to clean
 * up. Its logger is silent unless the test gives one: tests provoke failures on purpose and assert
 * on what they log through {@link memoryLogger}, so the default stderr logger would only add noise.
 */
export function harness(
  options: Partial<RuntimeOptions> & {
    history?: { initialCapacity?: number; maxCapacity?: number; gap?: number };
  } = {},
): Harness {
  const clock = createVirtualClock();
  const { state, open } = countingState(
    createState({ clock, ...(options.history ? { history: options.history } : {}) }),
  );
  const { history: _history, ...rest } = options;
  const runtime = createRuntime({
    state,
    clock,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
    ...rest,
  });
  return { clock, state, runtime, open };
}

/**
 * One hop of a chain, as COSI's runtime tests write it: maps every input to an output with the same
 * id, keeps its finalizer on the input while the output exists, and on teardown of the input tears
 * down and destroys the output before releasing the input.
 */
export function stage<TIn extends AnyResourceDefinition, TOut extends AnyResourceDefinition>(
  name: string,
  from: TIn,
  to: TOut,
  f: (value: unknown) => unknown,
): ControllerDefinition {
  return defineController({
    name,
    inputs: [input.strong(from), input.destroyReady(to)],
    outputs: [output.exclusive(to)],
    async reconcile(ctx) {
      for (const i of await ctx.list(from.kind())) {
        const out = to.pointer(i.metadata.id);
        if (i.metadata.phase === 'tearingDown') {
          if (await ctx.teardownAndDestroy(out)) await ctx.removeFinalizer(pointerOf(i), name);
          continue;
        }
        if (!i.metadata.finalizers.includes(name)) await ctx.addFinalizer(pointerOf(i), name);
        const value = f((i.spec as { value: unknown }).value);
        await ctx.modify(to.make(i.metadata.id, { value }), (d) => {
          (d.spec as { value: unknown }).value = value;
        });
      }
    },
  });
}

/** `id=value` of every resource of a kind, sorted by id. */
export async function values(
  state: State,
  def: AnyResourceDefinition,
  namespace?: string,
): Promise<string[]> {
  const list = await state.list(def.kind(namespace));
  return list.map((r) => `${r.metadata.id}=${String((r.spec as { value: unknown }).value)}`);
}
