import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createState, defineResource } from '../../../src/index.js';

const Things = defineResource({ type: 'Things.helpers.test.dev', spec: z.object({ n: z.number() }) });

describe('state helpers', () => {
  it('should not destroy a later generation of the id created while teardownAndDestroy waited', async () => {
    const state = createState();
    await state.create(Things.make('a', { n: 1 }, { finalizers: ['hold'] }));
    const done = state.teardownAndDestroy(Things.pointer('a'));
    await state.watchFor(Things.pointer('a'), { phases: ['tearingDown'] });
    // In one turn: release, destroy, and create the id again, before any event reaches the waiter.
    const released = state.removeFinalizer(Things.pointer('a'), 'hold');
    await released;
    await state.destroy(Things.pointer('a'));
    const next = await state.create(Things.make('a', { n: 2 }));
    await done;
    const stored = await state.get(Things.pointer('a'));
    expect(stored.spec.n).toBe(2);
    expect(stored.metadata.version).toBe(next.metadata.version);
    expect(stored.metadata.phase).toBe('running');
  });

  it('should destroy once the last finalizer is released, even if finalizers come and go meanwhile', async () => {
    const state = createState();
    await state.create(Things.make('b', { n: 1 }, { finalizers: ['x'] }));
    const done = state.teardownAndDestroy(Things.pointer('b'));
    await state.watchFor(Things.pointer('b'), { phases: ['tearingDown'] });
    await state.addFinalizer(Things.pointer('b'), 'y');
    await state.removeFinalizer(Things.pointer('b'), 'x');
    await state.removeFinalizer(Things.pointer('b'), 'y');
    await done;
    await expect(state.get(Things.pointer('b'))).rejects.toMatchObject({ code: 'NotFound' });
  });
});
