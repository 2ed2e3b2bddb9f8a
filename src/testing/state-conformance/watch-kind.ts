import { describe, expect, it } from 'vitest';
import { type AnyResource, isUnsupportedError, type WatchEvent } from '../../index.js';
import {
  describeEvents,
  Items,
  itemKind,
  ns,
  Others,
  otherNs,
  replay,
  type SuiteContext,
  summarize,
  watchFailure,
  withValue,
} from './support.js';

/** `watchKind`: future events, bootstrap snapshots, bookmarks to start from, tails. */
export function watchKindCases(ctx: SuiteContext): void {
  const tails = ctx.options.capabilities?.tailEvents ?? true;

  describe('watchKind', () => {
    it('should deliver only future events by default', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }));
      const rec = ctx.record(state.watchKind(itemKind));
      await state.update(withValue(a, 2));
      await state.create(Items.make('b', { value: 1 }));
      const events = await rec.count(2);
      expect(describeEvents(events)).toEqual(['updated a@2', 'created b@1']);
    });

    it('should deliver every change of the kind in one order, with old values, apart from other kinds', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watchKind(itemKind));
      const a1 = await state.create(Items.make('a', { value: 1 }));
      const b1 = await state.create(Items.make('b', { value: 1 }));
      await state.create(Items.make('a', { value: 1 }, { namespace: otherNs }));
      await state.create(Others.make('a', { name: 'x' }));
      const a2 = await state.update(withValue(a1, 2));
      await state.destroy(Items.pointer('b'));
      const events = await rec.count(4);
      expect(describeEvents(events)).toEqual(['created a@1', 'created b@1', 'updated a@2', 'destroyed b@1']);
      expect(events[2]).toEqual(expect.objectContaining({ type: 'updated', resource: a2, old: a1 }));
      expect(events[3]).toEqual(expect.objectContaining({ type: 'destroyed', resource: b1 }));
      const others = ctx.record(state.watchKind(Items.kind(otherNs), { bootstrapContents: true }));
      expect(describeEvents(await others.count(2))).toEqual(['created a@1', 'bootstrapped']);
    });

    it('should bootstrap with the sorted contents, then bootstrapped, then live events', async () => {
      const { state } = ctx;
      for (const id of ['c', 'a', 'b']) await state.create(Items.make(id, { value: 1 }));
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapContents: true }));
      const boot = await rec.count(4);
      expect(describeEvents(boot)).toEqual(['created a@1', 'created b@1', 'created c@1', 'bootstrapped']);
      expect(boot[3]).toEqual({
        type: 'bootstrapped',
        namespace: ns,
        resourceType: Items.type,
        bookmark: expect.any(String),
      });
      expect(boot.slice(0, 3).map((e) => (e as { resource: AnyResource }).resource)).toEqual(
        await state.list(itemKind),
      );
      await state.destroy(Items.pointer('b'));
      expect(describeEvents(await rec.count(5)).at(-1)).toBe('destroyed b@1');
    });

    it('should bootstrap an empty kind with bootstrapped alone', async () => {
      const rec = ctx.record(ctx.state.watchKind(itemKind, { bootstrapContents: true }));
      expect(describeEvents(await rec.count(1))).toEqual(['bootstrapped']);
    });

    it('should lose and repeat nothing between the snapshot and the stream across concurrent writes', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }));
      const b = await state.create(Items.make('b', { value: 1 }));
      await state.create(Items.make('c', { value: 1 }));
      const writes: Promise<unknown>[] = [
        state.update(withValue(a, 2)),
        state.create(Items.make('d', { value: 1 })),
      ];
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapContents: true }));
      writes.push(
        state.update(withValue(b, 2)),
        state.destroy(Items.pointer('c')),
        state.create(Items.make('e', { value: 1 })),
      );
      await Promise.all(writes);
      const final = summarize(await state.list(itemKind));
      const events = await rec.until(
        (items) =>
          items.some((e) => e.type === 'bootstrapped') && summarize(replay(items)).join() === final.join(),
        'a replay equal to list()',
      );
      const cut = events.findIndex((e) => e.type === 'bootstrapped');
      const snapshot = events.slice(0, cut);
      expect(snapshot.every((e) => e.type === 'created')).toBe(true);
      const snapshotIds = snapshot.map((e) => (e as { resource: AnyResource }).resource.metadata.id);
      expect(snapshotIds).toEqual([...snapshotIds].sort());
      expect(events.filter((e) => e.type === 'bootstrapped')).toHaveLength(1);
      // Every (id, version) arrives once, versions of an id only go up.
      const seen = new Set<string>();
      const lastVersion = new Map<string, number>();
      for (const e of events) {
        if (e.type !== 'created' && e.type !== 'updated') continue;
        const key = `${e.resource.metadata.id}@${e.resource.metadata.version}`;
        expect(seen.has(key), `${key} delivered twice`).toBe(false);
        seen.add(key);
        const { id, version } = e.resource.metadata;
        if (e.type === 'updated') expect(version).toBeGreaterThan(lastVersion.get(id) ?? 0);
        lastVersion.set(id, version);
      }
    });

    it('should start with a noop carrying a resumable bookmark when asked', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapBookmark: true }));
      const [noop] = await rec.count(1);
      expect(noop).toEqual({ type: 'noop', bookmark: expect.any(String) });
      await state.create(Items.make('b', { value: 1 }));
      await state.create(Items.make('c', { value: 1 }));
      expect(describeEvents(await rec.count(3))).toEqual(['noop', 'created b@1', 'created c@1']);
      const resumed = ctx.record(state.watchKind(itemKind, { startFromBookmark: noop!.bookmark! }));
      expect(describeEvents(await resumed.count(2))).toEqual(['created b@1', 'created c@1']);
    });

    it('should refuse bootstrapContents together with tailEvents or startFromBookmark', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapBookmark: true }));
      const [noop] = await rec.count(1);
      const withTail = await watchFailure(ctx, () =>
        state.watchKind(itemKind, { bootstrapContents: true, tailEvents: 1 }),
      );
      expect(withTail).toBeInstanceOf(Error);
      const withBookmark = await watchFailure(ctx, () =>
        state.watchKind(itemKind, { bootstrapContents: true, startFromBookmark: noop!.bookmark! }),
      );
      expect(withBookmark).toBeInstanceOf(Error);
      const aggregated = await watchFailure(ctx, () =>
        state.watchKindAggregated(itemKind, { bootstrapContents: true, startFromBookmark: noop!.bookmark! }),
      );
      expect(aggregated).toBeInstanceOf(Error);
    });

    if (tails) {
      it('should start n events back in the kind’s history when tailing, counting every id', async () => {
        const { state } = ctx;
        const a = await state.create(Items.make('a', { value: 1 }));
        await state.create(Items.make('b', { value: 1 }));
        await state.update(withValue(a, 2));
        await state.destroy(Items.pointer('b'));
        const two = ctx.record(state.watchKind(itemKind, { tailEvents: 2 }));
        const all = ctx.record(state.watchKind(itemKind, { tailEvents: 100 }));
        const zero = ctx.record(state.watchKind(itemKind, { tailEvents: 0 }));
        await state.create(Items.make('c', { value: 1 }));
        expect(describeEvents(await two.count(3))).toEqual(['updated a@2', 'destroyed b@1', 'created c@1']);
        expect(describeEvents(await all.count(5))).toEqual([
          'created a@1',
          'created b@1',
          'updated a@2',
          'destroyed b@1',
          'created c@1',
        ]);
        expect(describeEvents(await zero.count(1))).toEqual(['created c@1']);
        for (const e of all.items) expect(e.bookmark).toEqual(expect.any(String));
      });
    } else {
      it('should answer UnsupportedError for tailEvents on a kind watch', async () => {
        await ctx.state.create(Items.make('a', { value: 1 }));
        const plain = await watchFailure(ctx, () => ctx.state.watchKind(itemKind, { tailEvents: 1 }));
        expect(isUnsupportedError(plain)).toBe(true);
        const aggregated = await watchFailure(ctx, () =>
          ctx.state.watchKindAggregated(itemKind, { tailEvents: 1 }),
        );
        expect(isUnsupportedError(aggregated)).toBe(true);
      });
    }
  });

  describe('watchKindAggregated', () => {
    it('should deliver the whole bootstrap as one array, then batches of the same events', async () => {
      const { state } = ctx;
      for (const id of ['b', 'a']) await state.create(Items.make(id, { value: 1 }));
      const batches = ctx.record(state.watchKindAggregated(itemKind, { bootstrapContents: true }));
      const plain = ctx.record(state.watchKind(itemKind, { bootstrapContents: true }));
      const [boot] = await batches.count(1);
      expect(describeEvents(boot!)).toEqual(['created a@1', 'created b@1', 'bootstrapped']);
      await plain.count(3);
      const a = await state.get(Items.pointer('a'));
      // A burst issued without waiting.
      await Promise.all([
        state.update(withValue(a, 2)),
        state.destroy(Items.pointer('b')),
        state.create(Items.make('d', { value: 1 })),
      ]);
      await state.create(Items.make('e', { value: 1 }));
      await plain.count(7);
      const all = await batches.until((items) => items.flat().length >= 7, 'every event in batches');
      for (const batch of all) expect(batch.length).toBeGreaterThan(0);
      expect(describeEvents(all.flat())).toEqual(describeEvents(plain.items));
      expect(all.flat()).toEqual(plain.items as WatchEvent[]);
    });

    it('should keep writes racing the subscription out of the bootstrap array', async () => {
      const { state } = ctx;
      for (const id of ['b', 'a']) await state.create(Items.make(id, { value: 1 }));
      const batches = ctx.record(state.watchKindAggregated(itemKind, { bootstrapContents: true }));
      await state.create(Items.make('c', { value: 1 }));
      const [boot] = await batches.count(1);
      // The write may land before or after the snapshot, but the array is the snapshot alone.
      expect(boot!.at(-1)!.type).toBe('bootstrapped');
      const ids = boot!.slice(0, -1).map((e) => (e.type === 'created' ? e.resource.metadata.id : e.type));
      expect([
        ['a', 'b'],
        ['a', 'b', 'c'],
      ]).toContainEqual(ids);
      const all = await batches.until((items) => replay(items.flat()).length === 3, 'c');
      expect(all.flat().filter((e) => e.type === 'created' && e.resource.metadata.id === 'c')).toHaveLength(
        1,
      );
    });

    it('should deliver only future events by default, in batches', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      const batches = ctx.record(state.watchKindAggregated(itemKind));
      await state.create(Items.make('b', { value: 1 }));
      const all = await batches.until((items) => items.flat().length >= 1);
      expect(describeEvents(all.flat())).toEqual(['created b@1']);
    });

    it('should start with a noop batch when asked for a bootstrap bookmark', async () => {
      const { state } = ctx;
      const batches = ctx.record(state.watchKindAggregated(itemKind, { bootstrapBookmark: true }));
      const [first] = await batches.count(1);
      expect(first![0]).toEqual({ type: 'noop', bookmark: expect.any(String) });
      await state.create(Items.make('a', { value: 1 }));
      const all = await batches.until((items) => items.flat().length >= 2);
      expect(describeEvents(all.flat())).toEqual(['noop', 'created a@1']);
    });
  });
}
