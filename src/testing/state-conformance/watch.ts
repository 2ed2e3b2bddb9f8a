import { describe, expect, it } from 'vitest';
import { isTombstone, isUnsupportedError, type WatchEvent } from '../../index.js';
import {
  describeEvents,
  Items,
  itemKind,
  ns,
  otherNs,
  type SuiteContext,
  watchFailure,
  withValue,
} from './support.js';

/** `watch(pointer)`: the initial state, then the changes of one id; tails and resumption. */
export function watchCases(ctx: SuiteContext): void {
  const tails = ctx.options.capabilities?.tailEvents ?? true;

  describe('watch', () => {
    it('should start with the current resource, then deliver its changes in version order', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const rec = ctx.record(state.watch(Items.pointer('a')));
      const [initial] = await rec.count(1);
      expect(initial).toEqual({ type: 'created', resource: v1 } satisfies WatchEvent);
      const v2 = await state.update(withValue(v1, 2));
      const v3 = await state.update(withValue(v2, 3));
      await state.destroy(Items.pointer('a'));
      const events = await rec.count(4);
      expect(describeEvents(events)).toEqual(['created a@1', 'updated a@2', 'updated a@3', 'destroyed a@3']);
      const [, u2, u3, d] = events;
      expect(u2).toMatchObject({ type: 'updated', resource: v2, old: v1 });
      expect(u3).toMatchObject({ type: 'updated', resource: v3, old: v2 });
      expect(d).toMatchObject({ type: 'destroyed', resource: v3 });
    });

    it('should start with a destroyed tombstone for a missing resource, then follow its creation', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watch(Items.pointer('later')));
      const [first] = await rec.count(1);
      expect(first!.type).toBe('destroyed');
      const tombstone = (first as { resource: { metadata: object; spec: unknown } }).resource;
      expect(isTombstone(tombstone)).toBe(true);
      expect(tombstone.spec).toBeNull();
      expect(tombstone.metadata).toMatchObject({ namespace: ns, type: Items.type, id: 'later' });
      const created = await state.create(Items.make('later', { value: 1 }));
      const events = await rec.count(2);
      expect(events[1]).toMatchObject({ type: 'created', resource: created });
    });

    it('should deliver only the events of its id', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watch(Items.pointer('b')));
      await rec.count(1);
      const a = await state.create(Items.make('a', { value: 1 }));
      await state.create(Items.make('b', { value: 1 }));
      await state.update(withValue(a, 2));
      await state.create(Items.make('b', { value: 1 }, { namespace: otherNs }));
      await state.destroy(Items.pointer('b'));
      const events = await rec.count(3);
      expect(describeEvents(events)).toEqual(['destroyed b@0', 'created b@1', 'destroyed b@1']);
    });

    it('should follow a destroyed id into its next generation', async () => {
      const { state } = ctx;
      const v1 = await state.create(Items.make('a', { value: 1 }));
      const rec = ctx.record(state.watch(Items.pointer('a')));
      await state.update(withValue(v1, 2));
      await state.destroy(Items.pointer('a'));
      await state.create(Items.make('a', { value: 7 }));
      const events = await rec.count(4);
      expect(describeEvents(events)).toEqual(['created a@1', 'updated a@2', 'destroyed a@2', 'created a@1']);
      expect(events[3]).toMatchObject({ resource: { spec: { value: 7 } } });
    });

    it('should never deliver inside subscribe or inside the writer’s call', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      const single = ctx.record(state.watch(Items.pointer('a')));
      const kind = ctx.record(state.watchKind(itemKind, { bootstrapContents: true }));
      expect(single.duringSubscribe).toBe(0);
      expect(kind.duringSubscribe).toBe(0);
      expect(single.items).toEqual([]);
      await single.count(1);
      await kind.count(2);

      const before = [single.mark(), kind.mark()];
      const write = state.update(withValue(await state.get(Items.pointer('a')), 2));
      expect([single.mark(), kind.mark()]).toEqual(before);
      await write;
      await single.count(2);
      await kind.count(3);

      // A consumer that writes from its callback does not get that write's events re-entrantly.
      let inWrite = false;
      let reentered = false;
      const sub = state.watchKind(itemKind).subscribe((e) => {
        if (inWrite) reentered = true;
        if (e.type === 'created' && e.resource.metadata.id === 'b') {
          inWrite = true;
          void state.create(Items.make('c', { value: 1 })).catch(() => undefined);
          inWrite = false;
        }
      });
      try {
        await state.create(Items.make('b', { value: 1 }));
        await kind.until((items) =>
          items.some((e) => e.type === 'created' && e.resource.metadata.id === 'c'),
        );
        expect(reentered).toBe(false);
      } finally {
        sub.unsubscribe();
      }
    });

    it('should stop delivering once unsubscribed', async () => {
      const { state } = ctx;
      const seen: WatchEvent[] = [];
      const sub = state.watch(Items.pointer('a')).subscribe((e) => seen.push(e));
      const rec = ctx.record(state.watch(Items.pointer('a')));
      await rec.count(1);
      sub.unsubscribe();
      const seenAtStop = seen.length;
      await state.create(Items.make('a', { value: 1 }));
      await rec.count(2);
      expect(seen.length).toBe(seenAtStop);
    });

    if (tails) {
      it('should replace the initial event with up to n recent events of the id when tailing', async () => {
        const { state } = ctx;
        const a1 = await state.create(Items.make('a', { value: 1 }));
        const b1 = await state.create(Items.make('b', { value: 1 }));
        const a2 = await state.update(withValue(a1, 2));
        await state.update(withValue(b1, 2));
        await state.update(withValue(a2, 3));

        const two = ctx.record(state.watch(Items.pointer('a'), { tailEvents: 2 }));
        expect(describeEvents(await two.count(2))).toEqual(['updated a@2', 'updated a@3']);
        const all = ctx.record(state.watch(Items.pointer('a'), { tailEvents: 100 }));
        expect(describeEvents(await all.count(3))).toEqual(['created a@1', 'updated a@2', 'updated a@3']);
        const none = ctx.record(state.watch(Items.pointer('missing'), { tailEvents: 5 }));

        await state.destroy(Items.pointer('a'));
        await state.create(Items.make('missing', { value: 1 }));
        expect(describeEvents(await two.count(3))).toEqual(['updated a@2', 'updated a@3', 'destroyed a@3']);
        expect(describeEvents(await none.count(1))).toEqual(['created missing@1']);
        for (const e of [...two.items, ...all.items]) expect(e.bookmark).toBeTruthy();
      });
    } else {
      it('should answer UnsupportedError for tailEvents on a single watch', async () => {
        await ctx.state.create(Items.make('a', { value: 1 }));
        const error = await watchFailure(ctx, () => ctx.state.watch(Items.pointer('a'), { tailEvents: 1 }));
        expect(isUnsupportedError(error)).toBe(true);
      });
    }

    it('should refuse tailEvents together with startFromBookmark', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapBookmark: true }));
      const [noop] = await rec.count(1);
      const error = await watchFailure(ctx, () =>
        state.watch(Items.pointer('a'), { tailEvents: 1, startFromBookmark: noop!.bookmark! }),
      );
      expect(error).toBeInstanceOf(Error);
    });
  });
}
