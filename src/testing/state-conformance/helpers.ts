import { describe, expect, it } from 'vitest';
import {
  isNotFoundError,
  isOwnerConflictError,
  isPhaseConflictError,
  isValidationError,
} from '../../index.js';
import { describeEvents, Items, itemKind, rejection, type SuiteContext, withValue } from './support.js';

/** `updateWithConflicts` and `modify`: read-modify-write with no-op suppression and retries. */
export function helperCases(ctx: SuiteContext): void {
  describe('updateWithConflicts', () => {
    it('should apply the recipe to a draft of the whole resource and store the result', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      const stored = await state.updateWithConflicts(
        Items.pointer('a'),
        (d) => {
          d.spec.value = 2;
          d.metadata.labels = { ...d.metadata.labels, k: 'v' };
          d.metadata.finalizers.push('f');
        },
        { owner: 'ctrl' },
      );
      expect(stored.metadata).toMatchObject({
        version: 2,
        owner: 'ctrl',
        labels: { k: 'v' },
        finalizers: ['f'],
      });
      expect(stored.spec).toEqual({ value: 2, note: '' });
      expect(await state.get(Items.pointer('a'))).toEqual(stored);
    });

    it('should write nothing when the recipe changes nothing', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }, { labels: { k: 'v' } }));
      const rec = ctx.record(state.watchKind(itemKind));
      const same = await state.updateWithConflicts(Items.pointer('a'), (d) => {
        d.spec.value = 1;
        d.metadata.labels = { k: 'v' };
      });
      expect(same).toEqual(v1);
      expect((await state.updateWithConflicts(Items.pointer('a'), () => {})).metadata.version).toBe(1);
      // The next event is this write at version 2: the no-ops wrote nothing.
      await state.update(withValue(v1, 5));
      expect(describeEvents(await rec.count(1))).toEqual(['updated a@2']);
    });

    it('should accept an async recipe', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      const stored = await state.updateWithConflicts(Items.pointer('a'), async (d) => {
        await Promise.resolve();
        d.spec.value = 2;
      });
      expect(stored.spec.value).toBe(2);
    });

    it('should retry version conflicts so that concurrent increments all land', async () => {
      const { state } = ctx;
      await state.create(Items.make('counter', { value: 0 }));
      const n = 12;
      let calls = 0;
      await Promise.all(
        Array.from({ length: n }, () =>
          state.updateWithConflicts(Items.pointer('counter'), async (d) => {
            calls++;
            // Yield so that the others read the same version and conflict.
            await Promise.resolve();
            d.spec.value += 1;
          }),
        ),
      );
      const final = await state.get(Items.pointer('counter'));
      expect(final.spec.value).toBe(n);
      expect(final.metadata.version).toBe(n + 1);
      expect(calls).toBeGreaterThanOrEqual(n);
    });

    it('should retry when another writer changes the resource between its read and its write', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }, { labels: { base: '1' } }));
      let calls = 0;
      const stored = await state.updateWithConflicts(Items.pointer('a'), async (d) => {
        calls++;
        if (calls === 1) await state.update({ ...v1, metadata: { ...v1.metadata, labels: { base: '2' } } });
        d.spec.value = 10;
      });
      expect(calls).toBe(2);
      expect(stored.metadata).toMatchObject({ version: 3, labels: { base: '2' } });
      expect(stored.spec.value).toBe(10);
    });

    it('should throw owner and phase conflicts and errors of the recipe without writing', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      const owner = await rejection(
        state.updateWithConflicts(Items.pointer('a'), (d) => {
          d.spec.value = 2;
        }),
      );
      expect(isOwnerConflictError(owner)).toBe(true);
      const boom = new Error('recipe failed');
      const thrown = await rejection(
        state.updateWithConflicts(
          Items.pointer('a'),
          async (d) => {
            d.spec.value = 3;
            throw boom;
          },
          { owner: 'ctrl' },
        ),
      );
      expect(thrown).toBe(boom);
      expect(isNotFoundError(await rejection(state.updateWithConflicts(Items.pointer('x'), () => {})))).toBe(
        true,
      );
      const invalid = await rejection(
        state.updateWithConflicts(
          Items.pointer('a'),
          (d) => {
            (d.spec as { value: unknown }).value = 'not a number';
          },
          { owner: 'ctrl' },
        ),
      );
      expect(isValidationError(invalid)).toBe(true);
      expect(await state.get(Items.pointer('a'))).toEqual(v1);

      await state.update({ ...v1, metadata: { ...v1.metadata, phase: 'tearingDown' } }, { owner: 'ctrl' });
      // The phase is checked even when the recipe would change nothing.
      const noop = await rejection(
        state.updateWithConflicts(Items.pointer('a'), () => {}, { owner: 'ctrl' }),
      );
      expect(isPhaseConflictError(noop)).toBe(true);
      const down = await state.updateWithConflicts(
        Items.pointer('a'),
        (d) => {
          d.spec.value = 4;
        },
        { owner: 'ctrl', expectedPhase: 'tearingDown' },
      );
      expect(down.spec.value).toBe(4);
      const any = await state.updateWithConflicts(
        Items.pointer('a'),
        (d) => {
          d.spec.value = 5;
        },
        { owner: 'ctrl', expectedPhase: 'any' },
      );
      expect(any.metadata.version).toBe(4);
    });
  });

  describe('modify', () => {
    it('should create from the template with the owner when absent, then update it', async () => {
      const { state } = ctx;
      const template = Items.make('a', { value: 0 }, { labels: { from: 'template' } });
      const created = await state.modify(
        template,
        (d) => {
          d.spec.value = 1;
        },
        { owner: 'ctrl' },
      );
      expect(created.metadata).toMatchObject({ version: 1, owner: 'ctrl', labels: { from: 'template' } });
      expect(created.spec.value).toBe(1);
      expect(template.spec.value).toBe(0);
      const updated = await state.modify(
        template,
        (d) => {
          d.spec.value += 1;
        },
        { owner: 'ctrl' },
      );
      expect(updated.metadata).toMatchObject({ version: 2, owner: 'ctrl', labels: { from: 'template' } });
      expect(updated.spec.value).toBe(2);
    });

    it('should write nothing and bump no version when the result is unchanged', async () => {
      const { state } = ctx;
      const v1 = await state.modify(Items.make('a', { value: 0 }), (d) => {
        d.spec.value = 1;
      });
      const rec = ctx.record(state.watchKind(itemKind));
      const same = await state.modify(Items.make('a', { value: 0 }), (d) => {
        d.spec.value = 1;
      });
      expect(same).toEqual(v1);
      await state.update(withValue(v1, 2));
      expect(describeEvents(await rec.count(1))).toEqual(['updated a@2']);
    });

    it('should let concurrent callers on an absent id all land: the losers of the create update', async () => {
      const { state } = ctx;
      const callers = 5;
      const results = await Promise.all(
        Array.from({ length: callers }, () =>
          state.modify(
            Items.make('race', { value: 0 }),
            (d) => {
              d.spec.value += 1;
            },
            { owner: 'ctrl' },
          ),
        ),
      );
      expect(results.map((r) => r.metadata.version).sort()).toEqual([1, 2, 3, 4, 5]);
      const stored = await state.get(Items.pointer('race'));
      expect(stored.metadata).toMatchObject({ version: callers, owner: 'ctrl' });
      expect(stored.spec.value).toBe(callers);
    });

    it('should check owner and phase of an existing resource, and validate the result', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      const owner = await rejection(
        state.modify(Items.make('a', { value: 0 }), (d) => {
          d.spec.value = 2;
        }),
      );
      expect(isOwnerConflictError(owner)).toBe(true);
      await state.teardown(Items.pointer('a'), { owner: 'ctrl' });
      const phase = await rejection(state.modify(Items.make('a', { value: 0 }), () => {}, { owner: 'ctrl' }));
      expect(isPhaseConflictError(phase)).toBe(true);
      const anyPhase = await state.modify(
        Items.make('a', { value: 0 }),
        (d) => {
          d.spec.value = 3;
        },
        { owner: 'ctrl', expectedPhase: 'any' },
      );
      expect(anyPhase.spec.value).toBe(3);
      const invalid = await rejection(
        state.modify(Items.make('b', { value: 0 }), (d) => {
          (d.spec as { value: unknown }).value = 'x';
        }),
      );
      expect(isValidationError(invalid)).toBe(true);
      expect(isNotFoundError(await rejection(state.get(Items.pointer('b'))))).toBe(true);
    });
  });
}
