import { pino } from 'pino';
import {
  type AnyResource,
  type Clock,
  type ContextOp,
  createRuntime,
  defineController,
  input,
  type Runtime,
  type State,
} from '../../../src/index.js';
import { Ints, Sentences } from './fixtures.js';

/** Options of {@link ownWritesScenario}. */
export interface OwnWritesOptions {
  /** Inputs the controller holds and releases. */
  inputs: number;
}

/**
 * A controller that, when asked (a `go` sentence naming a phase and a number of writes), puts its
 * finalizer on its inputs and takes it off again, batch by batch, yielding to the event loop between
 * transactions so its watch keeps up. Its own writes must never wake it: every phase costs one run.
 */
export function ownWritesScenario(state: State, clock: Clock, options: OwnWritesOptions) {
  let runs = 0;
  let done = 0;
  const controller = defineController({
    name: 'Toggler',
    inputs: [input.strong(Ints), input.weak(Sentences)],
    outputs: [],
    async reconcile(ctx) {
      runs++;
      const go = (await ctx.list(Sentences.kind())).find((s) => s.metadata.id === 'go');
      if (go === undefined) return;
      const [phase, writes, batch] = go.spec.value.split(' ').map(Number) as [number, number, number];
      if (phase <= done) return;
      const current = new Map<string, AnyResource>(
        (await ctx.list(Ints.kind())).map((i) => [i.metadata.id, i]),
      );
      const ids = [...current.keys()];
      let written = 0;
      for (let round = 0; written < writes; round++) {
        const op = round % 2 === 0 ? 'addFinalizer' : 'removeFinalizer';
        for (let k = 0; k < ids.length && written < writes; k += batch) {
          const slice = ids.slice(k, k + batch);
          const ops: ContextOp[] = slice.map((id) => ({
            op,
            resource: current.get(id)!,
            finalizers: ['Toggler'],
          }));
          const results = await ctx.transaction(ops);
          for (const [n, r] of results.entries()) current.set(slice[n]!, r!);
          written += slice.length;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      done = phase;
    },
  });
  // The overrun scenario logs its relist by design; the test asserts on metrics instead.
  const runtime: Runtime = createRuntime({
    state,
    clock,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
  });
  runtime.register(controller);
  return {
    runtime,
    runs: () => runs,
    async setUp(): Promise<void> {
      for (let n = 0; n < options.inputs; n++) {
        await state.create(Ints.make(`i${String(n).padStart(4, '0')}`, { value: n }));
      }
      await runtime.start();
      await runtime.settled();
    },
    /** Asks for a phase of `writes` own writes, `batch` per transaction, and waits until the runtime settles. */
    async phase(phase: number, writes: number, batch: number): Promise<void> {
      const go = await state.list(Sentences.kind());
      const spec = { value: `${phase} ${writes} ${batch}` };
      if (go.length === 0) await state.create(Sentences.make('go', spec));
      else await state.update({ ...go[0]!, spec });
      await runtime.settled();
    },
  };
}
