import { describe, expect, it } from 'vitest';
import type { RuntimeError, TransactionOp, WatchEvent } from '../../index.js';
import {
  atVersion,
  describeEvents,
  Items,
  itemKind,
  Others,
  plainItem,
  rejection,
  type SuiteContext,
  summarize,
  withValue,
} from './support.js';

/** Transactions: all or nothing, checked in order, events after the commit in op order. */
export function transactionCases(ctx: SuiteContext): void {
  describe('transaction', () => {
    it('should apply every op and return the stored results in order, null for a destroy', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }));
      await state.create(Items.make('b', { value: 1 }), { owner: 'ctrl' });
      const results = await state.transaction([
        { op: 'create', resource: Items.make('c', { value: 3 }), owner: 'ctrl' },
        { op: 'update', resource: withValue(a, 2) },
        { op: 'destroy', pointer: Items.pointer('b'), owner: 'ctrl' },
        { op: 'create', resource: Others.make('o', { name: 'other kind' }) },
      ]);
      expect(results).toHaveLength(4);
      expect(results[0]!.metadata).toMatchObject({ id: 'c', version: 1, owner: 'ctrl' });
      expect(results[1]!.metadata).toMatchObject({ id: 'a', version: 2 });
      expect(results[1]!.spec).toEqual({ value: 2, note: '' });
      expect(results[2]).toBeNull();
      expect(results[3]!.metadata).toMatchObject({ type: Others.type, id: 'o', version: 1 });
      expect(summarize(await state.list(itemKind))).toEqual(summarize([results[1]!, results[0]!]));
      expect(await state.get(Others.pointer('o'))).toEqual(results[3]);
    });

    it('should check each op against the state the ops before it leave', async () => {
      const { state } = ctx;
      await state.create(Items.make('gone', { value: 1 }));
      const made = Items.make('x', { value: 1 });
      const results = await state.transaction([
        { op: 'create', resource: made },
        { op: 'update', resource: atVersion(withValue(made, 2), 1) },
        { op: 'update', resource: atVersion(withValue(made, 3), 2) },
        { op: 'destroy', pointer: Items.pointer('gone') },
        { op: 'create', resource: Items.make('gone', { value: 5 }) },
      ]);
      expect(results.map((r) => r && `${r.metadata.id}@${r.metadata.version}`)).toEqual([
        'x@1',
        'x@2',
        'x@3',
        null,
        'gone@1',
      ]);
      expect((await state.get(Items.pointer('x'))).spec.value).toBe(3);
      const regenerated = await state.get(Items.pointer('gone'));
      expect(regenerated.spec.value).toBe(5);
      expect(regenerated.metadata.version).toBe(1);
      // Ops see earlier ops: a second create of the same id conflicts, an update after a destroy is not found.
      const twice = await rejection(
        state.transaction([
          { op: 'create', resource: Items.make('y', { value: 1 }) },
          { op: 'create', resource: Items.make('y', { value: 2 }) },
        ]),
      );
      expect((twice as RuntimeError).code).toBe('Conflict');
      const x = await state.get(Items.pointer('x'));
      const afterDestroy = await rejection(
        state.transaction([
          { op: 'destroy', pointer: Items.pointer('x') },
          { op: 'update', resource: withValue(x, 9) },
        ]),
      );
      expect((afterDestroy as RuntimeError).code).toBe('NotFound');
      expect(await state.get(Items.pointer('x'))).toEqual(x);
    });

    it('should deliver the events after the commit, in op order', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }));
      const rec = ctx.record(state.watchKind(itemKind));
      const single = ctx.record(state.watch(Items.pointer('a')));
      await single.count(1);
      const mark = rec.mark();
      const tx = state.transaction([
        { op: 'create', resource: Items.make('z', { value: 1 }) },
        { op: 'update', resource: withValue(a, 2) },
        { op: 'create', resource: Items.make('m', { value: 1 }) },
        { op: 'update', resource: atVersion(withValue(a, 3), 2) },
        { op: 'destroy', pointer: Items.pointer('z') },
      ]);
      expect(rec.mark()).toBe(mark);
      await tx;
      expect(describeEvents(await rec.count(5))).toEqual([
        'created z@1',
        'updated a@2',
        'created m@1',
        'updated a@3',
        'destroyed z@1',
      ]);
      expect(describeEvents(await single.count(3))).toEqual(['created a@1', 'updated a@2', 'updated a@3']);
    });

    it('should throw the failing op’s error and leave the state and the streams untouched', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      const f = await state.create(Items.make('f', { value: 1 }, { finalizers: ['keep'] }));
      const before = summarize(await state.list(itemKind));
      const rec = ctx.record(state.watchKind(itemKind));
      const good: TransactionOp[] = [
        { op: 'create', resource: Items.make('new', { value: 1 }) },
        { op: 'update', resource: withValue(a, 2), owner: 'ctrl' },
      ];
      const failing: [string, TransactionOp][] = [
        ['Conflict', { op: 'create', resource: Items.make('a', { value: 1 }) }],
        ['NotFound', { op: 'update', resource: withValue(Items.make('nope', { value: 1 }), 2) }],
        ['OwnerConflict', { op: 'update', resource: withValue(f, 2), owner: 'ctrl' }],
        ['Conflict', { op: 'update', resource: atVersion(withValue(f, 2), 5) }],
        ['PhaseConflict', { op: 'update', resource: withValue(f, 2), expectedPhase: 'tearingDown' }],
        ['NotFound', { op: 'destroy', pointer: Items.pointer('nope') }],
        ['OwnerConflict', { op: 'destroy', pointer: Items.pointer('a') }],
        ['Conflict', { op: 'destroy', pointer: Items.pointer('f') }],
        ['Validation', { op: 'create', resource: { ...plainItem('bad', 1), spec: { value: 'x' } } }],
      ];
      for (const [code, op] of failing) {
        for (const ops of [[op], [...good, op], [good[0]!, op, good[1]!]]) {
          const error = await rejection(state.transaction(ops));
          expect((error as RuntimeError).code, `${code}: ${String(error)}`).toBe(code);
        }
        // The single operation fails the same way.
        const single =
          op.op === 'create'
            ? state.create(op.resource, op.owner === undefined ? {} : { owner: op.owner })
            : op.op === 'update'
              ? state.update(op.resource, {
                  ...(op.owner === undefined ? {} : { owner: op.owner }),
                  ...(op.expectedPhase === undefined ? {} : { expectedPhase: op.expectedPhase }),
                })
              : state.destroy(op.pointer, op.owner === undefined ? {} : { owner: op.owner });
        expect(((await rejection(single)) as RuntimeError).code).toBe(code);
      }
      expect(summarize(await state.list(itemKind))).toEqual(before);
      // The first event after all of that is this write: the failures emitted nothing.
      await state.update(withValue(a, 7), { owner: 'ctrl' });
      const events: readonly WatchEvent[] = await rec.count(1);
      expect(describeEvents(events)).toEqual(['updated a@2']);
    });

    it('should refuse an update whose expectedCreated names another generation of the id', async () => {
      const { state } = ctx;
      const first = await state.create(Items.make('g', { value: 1 }));
      expect(
        (
          await state.transaction([
            { op: 'update', resource: withValue(first, 2), expectedCreated: first.metadata.created },
          ])
        )[0]!.metadata.version,
      ).toBe(2);
      await state.destroy(Items.pointer('g'));
      await ctx.tickPast(first.metadata.created);
      const second = await state.create(Items.make('g', { value: 10 }));
      // A write prepared against the first generation: same id, and a version the second one has too.
      const stale = {
        metadata: { ...first.metadata, version: second.metadata.version },
        spec: { value: 3, note: '' },
      };
      const error = (await rejection(
        state.transaction([{ op: 'update', resource: stale, expectedCreated: first.metadata.created }]),
      )) as RuntimeError;
      expect(error.code).toBe('Conflict');
      expect(error.message).toMatch(/generation/);
      expect((await state.get(Items.pointer('g'))).spec.value).toBe(10);
    });

    it('should tell apart the generations of an id made in one transaction', async () => {
      const { state } = ctx;
      // One transaction reads the clock once: every generation in it gets the same millisecond.
      const [first, , second] = await state.transaction([
        { op: 'create', resource: Items.make('g', { value: 1 }) },
        { op: 'destroy', pointer: Items.pointer('g') },
        { op: 'create', resource: Items.make('g', { value: 10 }) },
      ]);
      expect(second!.metadata.version).toBe(first!.metadata.version);
      expect(second!.metadata.created).not.toBe(first!.metadata.created);
      const [, third] = await state.transaction([
        { op: 'destroy', pointer: Items.pointer('g') },
        { op: 'create', resource: Items.make('g', { value: 20 }) },
      ]);
      const generations = [first!, second!, third!];
      expect(new Set(generations.map((r) => r.metadata.created)).size).toBe(3);
      expect(await state.get(Items.pointer('g'))).toEqual(third);
      // A write prepared against an earlier generation, at the version the latest one has.
      for (const stale of [first!, second!]) {
        const error = (await rejection(
          state.transaction([
            { op: 'update', resource: withValue(stale, 3), expectedCreated: stale.metadata.created },
          ]),
        )) as RuntimeError;
        expect(error.code).toBe('Conflict');
      }
      expect((await state.get(Items.pointer('g'))).spec.value).toBe(20);
    });

    it('should accept an empty transaction', async () => {
      expect(await ctx.state.transaction([])).toEqual([]);
    });
  });
}
