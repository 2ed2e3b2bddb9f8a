import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isNotFoundError, isOwnerConflictError } from '../../index.js';
import { describeEvents, Items, itemKind, rejection, type SuiteContext } from './support.js';

/** Waits until the resource is gone, using the store's own events. */
async function untilDestroyed(ctx: SuiteContext, id: string): Promise<void> {
  const rec = ctx.record(ctx.state.watch(Items.pointer(id)));
  await rec.until((items) => items.at(-1)?.type === 'destroyed', `${id} destroyed`);
}

/** Teardown, finalizers and the helpers that wait on them. */
export function lifecycleCases(ctx: SuiteContext): void {
  describe('teardown', () => {
    it('should move the resource to tearingDown and say whether it may be destroyed', async () => {
      const { state } = ctx;
      await state.create(Items.make('free', { value: 1 }));
      await state.create(Items.make('held', { value: 1 }, { finalizers: ['f'] }));
      expect(await state.teardown(Items.pointer('free'))).toBe(true);
      expect(await state.teardown(Items.pointer('held'))).toBe(false);
      const held = await state.get(Items.pointer('held'));
      expect(held.metadata).toMatchObject({ phase: 'tearingDown', version: 2, finalizers: ['f'] });
    });

    it('should be idempotent: a second teardown writes nothing', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f'] }));
      expect(await state.teardown(Items.pointer('a'))).toBe(false);
      const rec = ctx.record(state.watchKind(itemKind));
      expect(await state.teardown(Items.pointer('a'))).toBe(false);
      expect((await state.get(Items.pointer('a'))).metadata.version).toBe(2);
      await state.removeFinalizer(Items.pointer('a'), 'f');
      expect(await state.teardown(Items.pointer('a'))).toBe(true);
      expect(describeEvents(await rec.count(1))).toEqual(['updated a@3']);
    });

    it('should check the owner and answer NotFoundError for a missing resource', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      expect(isOwnerConflictError(await rejection(state.teardown(Items.pointer('a'))))).toBe(true);
      expect((await state.get(Items.pointer('a'))).metadata.phase).toBe('running');
      expect(await state.teardown(Items.pointer('a'), { owner: 'ctrl' })).toBe(true);
      // Already tearing down: the owner is still checked.
      expect(isOwnerConflictError(await rejection(state.teardown(Items.pointer('a'))))).toBe(true);
      expect(isNotFoundError(await rejection(state.teardown(Items.pointer('missing'))))).toBe(true);
    });
  });

  describe('finalizers', () => {
    it('should add and remove finalizers on anyone’s resource, in any phase', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      await state.addFinalizer(Items.pointer('a'), 'f1', 'f2');
      expect([...(await state.get(Items.pointer('a'))).metadata.finalizers].sort()).toEqual(['f1', 'f2']);
      await state.teardown(Items.pointer('a'), { owner: 'ctrl' });
      await state.addFinalizer(Items.pointer('a'), 'f3');
      await state.removeFinalizer(Items.pointer('a'), 'f1', 'f3');
      const a = await state.get(Items.pointer('a'));
      expect(a.metadata).toMatchObject({ phase: 'tearingDown', owner: 'ctrl', finalizers: ['f2'] });
      expect(a.metadata.version).toBe(5);
    });

    it('should write nothing when adding present or removing absent finalizers', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f1'] }));
      const rec = ctx.record(state.watchKind(itemKind));
      await state.addFinalizer(Items.pointer('a'), 'f1');
      await state.removeFinalizer(Items.pointer('a'), 'absent');
      await state.addFinalizer(Items.pointer('a'), 'f1', 'f1');
      expect((await state.get(Items.pointer('a'))).metadata.version).toBe(1);
      await state.addFinalizer(Items.pointer('a'), 'f1', 'f2');
      expect(describeEvents(await rec.count(1))).toEqual(['updated a@2']);
      expect([...(await state.get(Items.pointer('a'))).metadata.finalizers].sort()).toEqual(['f1', 'f2']);
    });

    it('should answer NotFoundError for a missing resource', async () => {
      const { state } = ctx;
      expect(isNotFoundError(await rejection(state.addFinalizer(Items.pointer('x'), 'f')))).toBe(true);
      expect(isNotFoundError(await rejection(state.removeFinalizer(Items.pointer('x'), 'f')))).toBe(true);
    });

    it('should keep every finalizer of concurrent writers', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['gone-1', 'gone-2'] }));
      const names = Array.from({ length: 10 }, (_, i) => `f${i}`);
      await Promise.all([
        ...names.map((f) => state.addFinalizer(Items.pointer('a'), f)),
        state.removeFinalizer(Items.pointer('a'), 'gone-1'),
        state.removeFinalizer(Items.pointer('a'), 'gone-2'),
      ]);
      expect([...(await state.get(Items.pointer('a'))).metadata.finalizers].sort()).toEqual(
        [...names].sort(),
      );
      await Promise.all(names.map((f) => state.removeFinalizer(Items.pointer('a'), f)));
      expect((await state.get(Items.pointer('a'))).metadata.finalizers).toEqual([]);
    });
  });

  describe('teardownAndDestroy', () => {
    it('should destroy a resource without finalizers at once', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      await state.teardownAndDestroy(Items.pointer('a'), { owner: 'ctrl' });
      expect(isNotFoundError(await rejection(state.get(Items.pointer('a'))))).toBe(true);
    });

    it('should wait until the finalizers are gone, then destroy', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f1', 'f2'] }));
      let done = false;
      const destroying = state.teardownAndDestroy(Items.pointer('a')).then(() => {
        done = true;
      });
      await state.watchFor(Items.pointer('a'), { phases: ['tearingDown'] });
      await state.removeFinalizer(Items.pointer('a'), 'f1');
      const rest = await state.get(Items.pointer('a'));
      expect(rest.metadata.finalizers).toEqual(['f2']);
      expect(done).toBe(false);
      await state.removeFinalizer(Items.pointer('a'), 'f2');
      await destroying;
      expect(isNotFoundError(await rejection(state.get(Items.pointer('a'))))).toBe(true);
    });

    it('should succeed when someone else destroys the resource meanwhile', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f'] }));
      const destroying = state.teardownAndDestroy(Items.pointer('a'));
      await state.watchFor(Items.pointer('a'), { phases: ['tearingDown'] });
      // A concurrent destroyer removes the finalizer and destroys in one step.
      const current = await state.get(Items.pointer('a'));
      await state.transaction([
        {
          op: 'update',
          resource: { ...current, metadata: { ...current.metadata, finalizers: [] } },
          expectedPhase: 'tearingDown',
        },
        { op: 'destroy', pointer: Items.pointer('a') },
      ]);
      await destroying;
      // Two destroyers racing each other both succeed.
      await state.create(Items.make('b', { value: 1 }, { finalizers: ['f'] }));
      const both = [
        state.teardownAndDestroy(Items.pointer('b')),
        state.teardownAndDestroy(Items.pointer('b')),
      ];
      await state.watchFor(Items.pointer('b'), { phases: ['tearingDown'] });
      await state.removeFinalizer(Items.pointer('b'), 'f');
      await Promise.all(both);
      expect(await state.list(itemKind)).toEqual([]);
    });

    it('should check the owner', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }), { owner: 'ctrl' });
      expect(isOwnerConflictError(await rejection(state.teardownAndDestroy(Items.pointer('a'))))).toBe(true);
      expect((await state.get(Items.pointer('a'))).metadata.phase).toBe('running');
    });

    it('should destroy once many holders drop their finalizers concurrently', async () => {
      const { state } = ctx;
      const holders = Array.from({ length: 8 }, (_, i) => `holder-${i}`);
      await state.create(Items.make('a', { value: 1 }, { finalizers: holders }));
      const destroying = state.teardownAndDestroy(Items.pointer('a'));
      await state.watchFor(Items.pointer('a'), { phases: ['tearingDown'] });
      await Promise.all(holders.map((h) => state.removeFinalizer(Items.pointer('a'), h)));
      await destroying;
      await untilDestroyed(ctx, 'a');
    });
  });

  describe('watchFor', () => {
    it('should resolve with the current resource when it already matches', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }));
      expect(
        await state.watchFor(Items.pointer('a'), { phases: ['running'], finalizersEmpty: true }),
      ).toEqual(a);
      expect(await state.watchFor(Items.pointer('a'), { condition: (r) => r.spec.value === 1 })).toEqual(a);
      expect(await state.watchFor(Items.pointer('a'), {})).toEqual(a);
    });

    it('should wait for each kind of condition', async () => {
      const { state } = ctx;
      const created = state.watchFor(Items.pointer('a'), { eventTypes: ['created'] });
      const valued = state.watchFor(Items.pointer('a'), { condition: async (r) => r.spec.value >= 3 });
      const down = state.watchFor(Items.pointer('a'), { phases: ['tearingDown'] });
      const empty = state.watchFor(Items.pointer('a'), { phases: ['tearingDown'], finalizersEmpty: true });
      // Missing at first: the initial tombstone is a `destroyed` event and matches event types alone.
      const absent = await state.watchFor(Items.pointer('a'), { eventTypes: ['destroyed'] });
      expect(absent.metadata).toMatchObject({ id: 'a', version: 0 });

      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f'] }));
      const destroyed = state.watchFor(Items.pointer('a'), { eventTypes: ['destroyed'] });
      await state.updateWithConflicts(Items.pointer('a'), (d) => {
        d.spec.value = 2;
      });
      await state.updateWithConflicts(Items.pointer('a'), (d) => {
        d.spec.value = 3;
      });
      await state.teardown(Items.pointer('a'));
      await state.removeFinalizer(Items.pointer('a'), 'f');
      const last = await state.get(Items.pointer('a'));
      await state.destroy(Items.pointer('a'));

      expect((await created).metadata.version).toBe(1);
      expect((await valued).metadata.version).toBe(3);
      expect((await down).metadata).toMatchObject({ version: 4, finalizers: ['f'] });
      expect((await empty).metadata.version).toBe(5);
      expect(await destroyed).toEqual(last);
    });

    it('should never take a destroyed resource for one without finalizers', async () => {
      const { state } = ctx;
      const waiting = state.watchFor(Items.pointer('a'), { finalizersEmpty: true });
      const created = await state.create(Items.make('a', { value: 1 }));
      expect(await waiting).toEqual(created);
      await state.destroy(Items.pointer('a'));
      const afterDestroy = state.watchFor(Items.pointer('a'), { finalizersEmpty: true });
      const again = await state.create(Items.make('a', { value: 2 }));
      expect(await afterDestroy).toEqual(again);
    });

    it('should reject when its signal aborts', async () => {
      const { state } = ctx;
      const controller = new AbortController();
      const waiting = state.watchFor(
        Items.pointer('a'),
        { eventTypes: ['updated'] },
        { signal: controller.signal },
      );
      const reason = new Error('stop waiting');
      controller.abort(reason);
      expect(await rejection(waiting)).toBe(reason);
      const already = new AbortController();
      already.abort(reason);
      expect(await rejection(state.watchFor(Items.pointer('a'), {}, { signal: already.signal }))).toBe(
        reason,
      );
    });
  });

  describe('signalWithTeardown', () => {
    it('should abort at once for a missing resource', async () => {
      const signal = ctx.state.signalWithTeardown(Items.pointer('missing'));
      await new Promise<void>((resolve) =>
        signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      expect(signal.aborted).toBe(true);
    });

    it('should abort when the resource starts tearing down, not before', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }, { finalizers: ['f'] }));
      await state.create(Items.make('already', { value: 1 }, { finalizers: ['f'] }));
      await state.teardown(Items.pointer('already'));
      const signal = state.signalWithTeardown(Items.pointer('a'));
      const early = state.signalWithTeardown(Items.pointer('already'));
      const aborted = new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      // Changes that keep it running do not abort.
      await state.updateWithConflicts(Items.pointer('a'), (d) => {
        d.spec.value = 2;
      });
      await state.watchFor(Items.pointer('a'), { condition: (r) => r.spec.value === 2 });
      await new Promise<void>((resolve) =>
        early.aborted ? resolve() : early.addEventListener('abort', () => resolve(), { once: true }),
      );
      expect(signal.aborted).toBe(false);
      await state.teardown(Items.pointer('a'));
      await aborted;
      expect(signal.aborted).toBe(true);
    });

    it('should leave no listener on the parent signal once its own signal aborts', async () => {
      const { state } = ctx;
      const parent = new AbortController();
      const aborted = (signal: AbortSignal) =>
        new Promise<void>((resolve) =>
          signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      const calls = 50;
      const missing = Array.from({ length: calls }, () =>
        state.signalWithTeardown(Items.pointer('missing'), { signal: parent.signal }),
      );
      await Promise.all(missing.map(aborted));
      expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);

      await state.create(Items.make('a', { value: 1 }));
      const live = Array.from({ length: calls }, () =>
        state.signalWithTeardown(Items.pointer('a'), { signal: parent.signal }),
      );
      await state.watchFor(Items.pointer('a'), {});
      expect(live.some((s) => s.aborted)).toBe(false);
      expect(getEventListeners(parent.signal, 'abort')).toHaveLength(calls);
      await state.teardown(Items.pointer('a'));
      await Promise.all(live.map(aborted));
      expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);

      // Aborting the parent aborts the signal and ends its watch.
      await state.create(Items.make('b', { value: 1 }));
      const child = state.signalWithTeardown(Items.pointer('b'), { signal: parent.signal });
      parent.abort(new Error('stop'));
      await aborted(child);
      expect(child.reason).toEqual(new Error('stop'));
      expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    });

    it('should abort when the resource is destroyed', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      const signal = state.signalWithTeardown(Items.pointer('a'));
      const aborted = new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      await state.watchFor(Items.pointer('a'), {});
      expect(signal.aborted).toBe(false);
      await state.destroy(Items.pointer('a'));
      await aborted;
      expect(signal.aborted).toBe(true);
    });
  });
}
