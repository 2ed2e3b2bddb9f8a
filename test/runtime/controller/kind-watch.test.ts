import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createState } from '../../../src/index.js';
import { KindWatch, type KindWatchHost } from '../../../src/runtime/controller/kind-watch.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { Ints } from './fixtures.js';

/** A host that never fans out by itself: the test takes the pending changes when it wants. */
function quietHost(state: ReturnType<typeof createState>): KindWatchHost {
  return {
    state,
    clock: createVirtualClock(),
    logger: pino({ level: 'silent' }),
    backoff: { initialMs: 500, multiplier: 1.5, maxMs: 60_000, jitter: 0 },
    random: () => 0.5,
    scheduleFanOut() {},
    busy() {},
    activity() {},
    relisted() {},
  };
}

describe('KindWatch', () => {
  it('should hand on every change in order, and only the last of each id once many pile up', async () => {
    const state = createState();
    const watch = new KindWatch(Ints.defaultNamespace, Ints.type, quietHost(state), true);
    watch.open();
    await state.delivered?.();

    await state.create(Ints.make('a', { value: 0 }));
    let b = await state.create(Ints.make('b', { value: 0 }));
    b = await state.update({ ...b, spec: { value: 1 } });
    await state.delivered?.();
    expect(watch.take().map((c) => `${c.type} ${c.resource.metadata.id}`)).toEqual([
      'created a',
      'created b',
      'updated b',
    ]);

    // Thousands of writes of two ids before anyone takes them: the list stays near the number of ids.
    let a = await state.get(Ints.pointer('a'));
    for (let i = 1; i <= 10_000; i++) {
      a = await state.update({ ...a, spec: { value: i } });
      if (i % 100 === 0) b = await state.update({ ...b, spec: { value: i } });
      if (i % 1_000 === 0) await state.delivered?.();
    }
    await state.delivered?.();
    const changes = watch.take();
    expect(changes.length).toBeLessThanOrEqual(4_096 + 1_000);
    const last = new Map(changes.map((c) => [c.resource.metadata.id, c.resource.spec]));
    expect(last.get('a')).toEqual({ value: 10_000 });
    expect(last.get('b')).toEqual({ value: 10_000 });
    expect(watch.known.get('a')?.spec).toEqual({ value: 10_000 });
    watch.close();
  });
});
