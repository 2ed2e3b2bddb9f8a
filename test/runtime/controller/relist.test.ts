import { pino } from 'pino';
import { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  createState,
  defineController,
  input,
  OverrunError,
  output,
  type Runtime,
  type State,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { Ints, Sentences, Strs } from './fixtures.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

/**
 * A state whose kind watch of `type`, once armed, errors with an overrun instead of delivering its
 * next batch, twice: the live batch, then the re-list's snapshot (so the second re-list waits out a backoff).
 */
function overrunTwice(inner: State, type: string): { state: State; arm: () => void } {
  let armed = 0;
  const state: State = {
    ...inner,
    watchKindAggregated: (kind, options) =>
      new Observable((subscriber) => {
        const s = inner.watchKindAggregated(kind, options).subscribe({
          next(batch) {
            if (armed > 0 && kind.type === type) {
              armed--;
              subscriber.error(new OverrunError(kind, 'injected by the test'));
              return;
            }
            subscriber.next(batch);
          },
          error: (e: unknown) => subscriber.error(e),
          complete: () => subscriber.complete(),
        });
        return () => s.unsubscribe();
      }),
  };
  return { state, arm: () => (armed = 2) };
}

describe('runtime: re-listing after lost events', () => {
  it('should wake full controllers after a re-list, so an id created and destroyed while events were lost leaks nothing', async () => {
    const clock = createVirtualClock();
    const { state, arm } = overrunTwice(createState({ clock }), Ints.type);
    runtime = createRuntime({ state, clock, logger: pino({ level: 'silent' }), random: () => 0.5 });
    runtime.register(
      defineController({
        name: 'IntsToStrs',
        inputs: [input.weak(Ints), input.weak(Sentences)],
        outputs: [output.exclusive(Strs)],
        async reconcile(ctx) {
          ctx.trackOutputs();
          for (const i of await ctx.list(Ints.kind())) {
            await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
              d.spec.value = String(i.spec.value);
            });
          }
          await ctx.cleanupOutputs(Strs.kind());
        },
      }),
    );
    await runtime.start();
    await runtime.settled();

    arm();
    await state.create(Ints.make('c', { value: 1 })); // its event is lost: the watch of Ints overruns
    await state.create(Sentences.make('wake', { value: 'x' })); // another input wakes the controller
    await runtime.settled();
    expect((await state.list(Strs.kind())).map((s) => s.metadata.id)).toEqual(['c']);

    await state.destroy(Ints.pointer('c')); // destroyed before the watch re-lists: no diff will show it
    await clock.advance(120_000);
    await runtime.settled();
    expect(await state.list(Strs.kind())).toEqual([]);
    expect(Object.values(runtime.metrics().kinds).some((k) => k.relists > 0)).toBe(true);
  });
});
