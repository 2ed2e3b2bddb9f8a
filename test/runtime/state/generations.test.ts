import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createState, defineResource } from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';

const Gens = defineResource({ type: 'Gens.generations.test.dev', spec: z.object({ n: z.number() }) });

describe('in-memory store: generations of an id', () => {
  it('should give each generation of an id its own created, even while the clock stands still', async () => {
    const clock = createVirtualClock({ start: Date.UTC(2030, 0, 2, 3, 4, 5, 6) });
    const state = createState({ clock });
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await state.create(Gens.make('a', { n: i }));
      created.push(r.metadata.created);
      expect(r.metadata.updated).toBe(r.metadata.created);
      await state.destroy(Gens.pointer('a'));
    }
    expect(created).toEqual([
      '2030-01-02T03:04:05.006Z',
      '2030-01-02T03:04:05.006001Z',
      '2030-01-02T03:04:05.006002Z',
    ]);
    // Other ids and later milliseconds keep the plain clock reading.
    expect((await state.create(Gens.make('b', { n: 0 }))).metadata.created).toBe('2030-01-02T03:04:05.006Z');
    await clock.advance(1);
    expect((await state.create(Gens.make('a', { n: 9 }))).metadata.created).toBe('2030-01-02T03:04:05.007Z');
  });

  it('should refuse, with a frozen clock, a write prepared against the previous generation', async () => {
    const state = createState({ clock: createVirtualClock() });
    const old = await state.create(Gens.make('a', { n: 1 }));
    await state.destroy(Gens.pointer('a'));
    const fresh = await state.create(Gens.make('a', { n: 2 }));
    expect(fresh.metadata.version).toBe(old.metadata.version);
    await expect(
      state.transaction([
        { op: 'update', resource: { ...old, spec: { n: 3 } }, expectedCreated: old.metadata.created },
      ]),
    ).rejects.toMatchObject({ code: 'Conflict' });
    expect((await state.get(Gens.pointer('a'))).spec.n).toBe(2);
  });
});
