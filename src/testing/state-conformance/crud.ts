import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  formatPointer,
  isConflictError,
  isNotFoundError,
  isOwnerConflictError,
  isPhaseConflictError,
  label,
  NotFoundError,
  OwnerConflictError,
} from '../../index.js';
import {
  describeEvents,
  Items,
  isDeepFrozen,
  itemKind,
  ns,
  Others,
  otherNs,
  plainItem,
  rejection,
  type SuiteContext,
  withValue,
} from './support.js';

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Create, get, list and destroy, with owners, finalizers and immutability. */
export function crudCases(ctx: SuiteContext): void {
  describe('create, get and list', () => {
    it('should store a new resource at version 1 with its owner, phase running and timestamps', async () => {
      const { state } = ctx;
      const stored = await state.create(Items.make('a', { value: 1 }, { labels: { app: 'x' } }), {
        owner: 'ctrl',
      });
      expect(stored.metadata).toMatchObject({
        namespace: ns,
        type: Items.type,
        id: 'a',
        version: 1,
        owner: 'ctrl',
        phase: 'running',
        finalizers: [],
        labels: { app: 'x' },
        annotations: {},
      });
      expect(stored.metadata.created).toMatch(rfc3339);
      expect(stored.metadata.updated).toBe(stored.metadata.created);
      expect(stored.spec).toEqual({ value: 1, note: '' });
      const read = await state.get(Items.pointer('a'));
      expect(read).toEqual(stored);
    });

    it('should store exactly the metadata fields of the contract', async () => {
      const stored = await ctx.state.create(
        Items.make('a', { value: 1 }, { annotations: { why: 'test' }, finalizers: ['f1'] }),
      );
      expect(Object.keys(stored.metadata).sort()).toEqual(
        [
          'annotations',
          'created',
          'finalizers',
          'id',
          'labels',
          'namespace',
          'owner',
          'phase',
          'type',
          'updated',
          'version',
        ].sort(),
      );
      expect(stored.metadata.annotations).toEqual({ why: 'test' });
      expect(stored.metadata.finalizers).toEqual(['f1']);
      expect(stored.metadata.owner).toBe('');
    });

    it('should accept plain pointer and kind objects', async () => {
      await ctx.state.create(Items.make('a', { value: 1 }));
      const read = await ctx.state.get({ namespace: ns, type: Items.type, id: 'a' });
      expect(read.spec).toEqual({ value: 1, note: '' });
      const listed = await ctx.state.list({ namespace: ns, type: Items.type });
      expect(listed.map((r) => r.metadata.id)).toEqual(['a']);
    });

    it('should refuse to create an existing id with a ConflictError and keep the stored resource', async () => {
      const { state } = ctx;
      const first = await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      const error = await rejection(state.create(Items.make('a', { value: 2 })));
      expect(error).toBeInstanceOf(ConflictError);
      expect(isConflictError(error)).toBe(true);
      expect(isOwnerConflictError(error)).toBe(false);
      expect(isPhaseConflictError(error)).toBe(false);
      expect((error as ConflictError).code).toBe('Conflict');
      expect((error as ConflictError).pointer).toMatchObject({ namespace: ns, type: Items.type, id: 'a' });
      expect(await state.get(Items.pointer('a'))).toEqual(first);
    });

    it('should answer NotFoundError with code and pointer for a missing resource', async () => {
      const error = await rejection(ctx.state.get(Items.pointer('missing')));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(isNotFoundError(error)).toBe(true);
      expect(isConflictError(error)).toBe(false);
      const e = error as NotFoundError;
      expect(e.code).toBe('NotFound');
      expect(e.pointer).toMatchObject({ namespace: ns, type: Items.type, id: 'missing' });
      const where = formatPointer(Items.pointer('missing'));
      expect(e.message).toContain(where);
      const rest = e.message.replace(where, '');
      expect(rest).toBe(rest.toLowerCase());
    });

    it('should list a kind sorted by id, apart from other kinds and namespaces', async () => {
      const { state } = ctx;
      const ids = ['b', 'a-1', 'B', '10', '9', 'a', 'a/b', 'z', 'é'];
      for (const id of ids) await state.create(Items.make(id, { value: 1 }));
      await state.create(Items.make('other-ns', { value: 1 }, { namespace: otherNs }));
      await state.create(Others.make('a', { name: 'other type' }));
      const listed = await state.list(itemKind);
      expect(listed.map((r) => r.metadata.id)).toEqual([...ids].sort());
      expect((await state.list(Items.kind(otherNs))).map((r) => r.metadata.id)).toEqual(['other-ns']);
      expect((await state.list(Others.kind())).map((r) => r.metadata.id)).toEqual(['a']);
      expect(await state.list(Items.kind('empty-namespace'))).toEqual([]);
    });

    it('should keep resources of the same id in different namespaces and types apart', async () => {
      const { state } = ctx;
      await state.create(Items.make('same', { value: 1 }));
      await state.create(Items.make('same', { value: 2 }, { namespace: otherNs }));
      await state.create(Others.make('same', { name: 'n' }));
      expect((await state.get(Items.pointer('same'))).spec.value).toBe(1);
      expect((await state.get(Items.pointer('same', otherNs))).spec.value).toBe(2);
      expect((await state.get(Others.pointer('same'))).spec.name).toBe('n');
      await state.destroy(Items.pointer('same', otherNs));
      expect((await state.get(Items.pointer('same'))).spec.value).toBe(1);
    });
  });

  describe('immutability', () => {
    it('should deep-freeze what it returns and never mutate or freeze what it is given', async () => {
      const { state } = ctx;
      const input = plainItem('a', 1, { labels: { app: 'x' }, finalizers: ['f'] });
      const snapshot = structuredClone(input);
      const created = await state.create(input, { owner: 'ctrl' });
      expect(input).toEqual(snapshot);
      expect(Object.isFrozen(input)).toBe(false);
      expect(Object.isFrozen(input.metadata)).toBe(false);
      expect(Object.isFrozen(input.spec)).toBe(false);
      expect(Object.isFrozen(input.metadata.labels)).toBe(false);
      expect(isDeepFrozen(created)).toBe(true);

      const next = {
        metadata: { ...structuredClone(created.metadata), labels: { app: 'y' } },
        spec: { value: 2, note: 'n' },
      };
      const nextSnapshot = structuredClone(next);
      const updated = await state.update(next, { owner: 'ctrl' });
      expect(next).toEqual(nextSnapshot);
      expect(Object.isFrozen(next.spec)).toBe(false);
      expect(isDeepFrozen(updated)).toBe(true);

      expect(isDeepFrozen(await state.get(Items.pointer('a')))).toBe(true);
      const listed = await state.list(itemKind);
      expect(isDeepFrozen(listed[0])).toBe(true);
      expect(() => {
        (listed[0]!.spec as { value: number }).value = 5;
      }).toThrow(TypeError);
      expect((await state.get(Items.pointer('a'))).spec.value).toBe(2);
    });

    it('should not change a stored resource when the caller changes a copy', async () => {
      const { state } = ctx;
      const stored = await state.create(Items.make('a', { value: 1 }));
      const copy = structuredClone(stored) as { spec: { value: number } };
      copy.spec.value = 99;
      expect((await state.get(Items.pointer('a'))).spec.value).toBe(1);
    });

    it('should deliver deeply frozen events and batches', async () => {
      const { state } = ctx;
      await state.create(Items.make('boot', { value: 1 }));
      const rec = ctx.record(state.watchKind(itemKind));
      const boot = ctx.record(
        state.watchKind(itemKind, { bootstrapContents: true, bootstrapBookmark: true }),
      );
      const batches = ctx.record(state.watchKindAggregated(itemKind, { bootstrapContents: true }));
      const single = ctx.record(state.watch(Items.pointer('a')));
      const filtered = ctx.record(state.watchKind(itemKind, { labelQuery: [label.exists('k')] }));
      const a = await state.create(plainItem('a', 1));
      const a2 = await state.update({ ...withValue(a, 2), metadata: { ...a.metadata, labels: { k: 'v' } } });
      await state.update({ ...a2, metadata: { ...a2.metadata, labels: {} } });
      const events = await rec.count(3);
      await boot.count(6);
      await batches.until((items) => items.flat().length >= 5);
      await single.count(4);
      await filtered.count(2);
      for (const e of [...events, ...boot.items, ...single.items, ...filtered.items]) {
        expect(isDeepFrozen(e), describeEvents([e])[0]).toBe(true);
      }
      for (const batch of batches.items) expect(isDeepFrozen(batch)).toBe(true);
    });
  });

  describe('destroy', () => {
    it('should destroy a running resource without finalizers directly', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      await state.destroy(Items.pointer('a'));
      expect(isNotFoundError(await rejection(state.get(Items.pointer('a'))))).toBe(true);
      expect(await state.list(itemKind)).toEqual([]);
    });

    it('should answer NotFoundError for a missing resource', async () => {
      const error = await rejection(ctx.state.destroy(Items.pointer('missing')));
      expect(isNotFoundError(error)).toBe(true);
    });

    it('should check the owner before the finalizers', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f'] }), { owner: 'ctrl' });
      const wrongOwner = await rejection(state.destroy(Items.pointer('a')));
      expect(wrongOwner).toBeInstanceOf(OwnerConflictError);
      expect(isConflictError(wrongOwner)).toBe(true);
      expect((wrongOwner as OwnerConflictError).code).toBe('OwnerConflict');
      expect((wrongOwner as OwnerConflictError).pointer).toMatchObject({ id: 'a', type: Items.type });
      const pending = await rejection(state.destroy(Items.pointer('a'), { owner: 'ctrl' }));
      expect(isConflictError(pending)).toBe(true);
      expect(isOwnerConflictError(pending)).toBe(false);
      expect(isPhaseConflictError(pending)).toBe(false);
      expect((pending as ConflictError).code).toBe('Conflict');
      expect((await state.get(Items.pointer('a'))).metadata.version).toBe(1);
    });

    it('should refuse while finalizers remain, in either phase, and destroy once they are gone', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }, { finalizers: ['f1', 'f2'] }));
      expect(isConflictError(await rejection(state.destroy(Items.pointer('a'))))).toBe(true);
      const down = await state.update({ ...a, metadata: { ...a.metadata, phase: 'tearingDown' } });
      expect(isConflictError(await rejection(state.destroy(Items.pointer('a'))))).toBe(true);
      await state.update(
        { ...down, metadata: { ...down.metadata, finalizers: [] } },
        { expectedPhase: 'tearingDown' },
      );
      await state.destroy(Items.pointer('a'));
      expect(await state.list(itemKind)).toEqual([]);
    });

    it('should let a destroyed id be created again as a new generation', async () => {
      const { state } = ctx;
      const first = await state.create(Items.make('a', { value: 1 }), { owner: 'old' });
      await state.update(withValue(first, 2), { owner: 'old' });
      await state.destroy(Items.pointer('a'), { owner: 'old' });
      await ctx.tickPast(first.metadata.created);
      const again = await state.create(Items.make('a', { value: 3 }), { owner: 'new' });
      expect(again.metadata.version).toBe(1);
      expect(again.metadata.owner).toBe('new');
      expect(again.spec.value).toBe(3);
      expect(again.metadata.created).not.toBe(first.metadata.created);
    });

    it('should emit the last stored value when a resource is destroyed', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watchKind(itemKind));
      const a = await state.create(Items.make('a', { value: 1 }));
      const a2 = await state.update(withValue(a, 2));
      await state.destroy(Items.pointer('a'));
      const events = await rec.count(3);
      expect(describeEvents(events)).toEqual(['created a@1', 'updated a@2', 'destroyed a@2']);
      const destroyed = events[2]!;
      expect(destroyed.type === 'destroyed' && destroyed.resource).toEqual(a2);
    });
  });
}
