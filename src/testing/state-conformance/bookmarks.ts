import { describe, expect, it } from 'vitest';
import { isInvalidBookmarkError, label, type RuntimeError, type WatchEvent } from '../../index.js';
import {
  describeEvent,
  describeEvents,
  Items,
  itemKind,
  openers,
  type SuiteContext,
  watchFailure,
  withValue,
} from './support.js';

/** Writes a small history on `a`, `b`, `c`: creates, updates, a destroy and a re-create. */
async function writeHistory(ctx: SuiteContext): Promise<void> {
  const { state } = ctx;
  const a = await state.create(Items.make('a', { value: 1 }, { labels: { tier: 'x' } }));
  const b = await state.create(Items.make('b', { value: 1 }));
  await state.update(withValue(a, 2));
  await state.update({ ...b, metadata: { ...b.metadata, labels: { tier: 'x' } } });
  await state.create(Items.make('c', { value: 1 }, { labels: { tier: 'x' } }));
  await state.destroy(Items.pointer('a'));
  await state.create(Items.make('a', { value: 9 }));
}

/** A last write after the history: every resumed stream must reach it with nothing extra before it. */
async function writeMarker(ctx: SuiteContext): Promise<string> {
  const a = await ctx.state.get(Items.pointer('a'));
  await ctx.state.update(withValue(a, 10));
  return 'updated a@2';
}

/** Bookmarks: carried by every history event, resumable, and rejected when invalid. */
export function bookmarkCases(ctx: SuiteContext): void {
  describe('bookmarks', () => {
    it('should put a bookmark on every event delivered from history', async () => {
      const { state } = ctx;
      const kind = ctx.record(state.watchKind(itemKind));
      const single = ctx.record(state.watch(Items.pointer('a')));
      const filtered = ctx.record(state.watchKind(itemKind, { labelQuery: [label.exists('tier')] }));
      const batches = ctx.record(state.watchKindAggregated(itemKind, { bootstrapContents: true }));
      await writeHistory(ctx);
      const events = await kind.count(7);
      await single.count(4);
      await filtered.until((items) => items.some((e) => e.type === 'destroyed'));
      await batches.until((items) => items.flat().length >= 8);
      for (const e of events) expect(e.bookmark, describeEvent(e)).toEqual(expect.any(String));
      // The first event of a single watch is the initial state and may lack one.
      for (const e of single.items.slice(1)) expect(e.bookmark, describeEvent(e)).toEqual(expect.any(String));
      for (const e of filtered.items) expect(e.bookmark, describeEvent(e)).toEqual(expect.any(String));
      const flat = batches.items.flat();
      const boot = flat.findIndex((e) => e.type === 'bootstrapped');
      for (const e of flat.slice(boot)) expect(e.bookmark, describeEvent(e)).toEqual(expect.any(String));
    });

    it('should resume a kind watch from any bookmark with exactly the events after it', async () => {
      const { state } = ctx;
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapBookmark: true }));
      await writeHistory(ctx);
      const events = [...(await rec.count(8))];
      const resumed = events.map((e) =>
        ctx.record(state.watchKind(itemKind, { startFromBookmark: e.bookmark! })),
      );
      const batched = events.map((e) =>
        ctx.record(state.watchKindAggregated(itemKind, { startFromBookmark: e.bookmark! })),
      );
      const marker = await writeMarker(ctx);
      for (let i = 0; i < events.length; i++) {
        const rest = [...describeEvents(events.slice(i + 1)), marker];
        const got = await resumed[i]!.count(rest.length);
        expect(describeEvents(got), `resuming after ${describeEvent(events[i]!)}`).toEqual(rest);
        expect(got.slice(0, -1)).toEqual(events.slice(i + 1));
        const batches = await batched[i]!.until((items) => items.flat().length >= rest.length);
        expect(describeEvents(batches.flat())).toEqual(rest);
      }
    });

    it('should resume right after the snapshot from a bootstrapped bookmark', async () => {
      const { state } = ctx;
      const a = await state.create(Items.make('a', { value: 1 }));
      const boot = ctx.record(state.watchKind(itemKind, { bootstrapContents: true }));
      const [, bootstrapped] = await boot.count(2);
      expect(bootstrapped!.type).toBe('bootstrapped');
      await state.update(withValue(a, 2));
      await state.create(Items.make('b', { value: 1 }));
      const resumed = ctx.record(state.watchKind(itemKind, { startFromBookmark: bootstrapped!.bookmark! }));
      expect(describeEvents(await resumed.count(2))).toEqual(['updated a@2', 'created b@1']);
    });

    it('should resume a single watch strictly after a bookmark, with no initial event', async () => {
      const { state } = ctx;
      const single = ctx.record(state.watch(Items.pointer('a')));
      const kind = ctx.record(state.watchKind(itemKind));
      await writeHistory(ctx);
      const ofA = (await single.count(5)).slice(1);
      expect(describeEvents(ofA)).toEqual(['created a@1', 'updated a@2', 'destroyed a@2', 'created a@1']);
      const resumed = ofA.map((e) =>
        ctx.record(state.watch(Items.pointer('a'), { startFromBookmark: e.bookmark! })),
      );
      // A bookmark of another id's event of the kind resumes the single watch too.
      const kindEvents = await kind.count(7);
      const bUpdate = kindEvents.find((e) => describeEvent(e) === 'updated b@2')!;
      const fromKind = ctx.record(state.watch(Items.pointer('a'), { startFromBookmark: bUpdate.bookmark! }));
      const marker = await writeMarker(ctx);
      for (let i = 0; i < ofA.length; i++) {
        const rest = [...describeEvents(ofA.slice(i + 1)), marker];
        expect(describeEvents(await resumed[i]!.count(rest.length))).toEqual(rest);
      }
      expect(describeEvents(await fromKind.count(3))).toEqual(['destroyed a@2', 'created a@1', marker]);
    });

    it('should error the stream with InvalidBookmarkError for a malformed bookmark', async () => {
      const { state } = ctx;
      await state.create(Items.make('a', { value: 1 }));
      for (const bad of ['', 'not a bookmark', '..', 'x'.repeat(200)]) {
        for (const open of openers(
          () => state.watchKind(itemKind, { startFromBookmark: bad }),
          () => state.watchKindAggregated(itemKind, { startFromBookmark: bad }),
          () => state.watch(Items.pointer('a'), { startFromBookmark: bad }),
        )) {
          const error = await watchFailure(ctx, open);
          expect(isInvalidBookmarkError(error), `${JSON.stringify(bad)}: ${String(error)}`).toBe(true);
          expect((error as RuntimeError).code).toBe('InvalidBookmark');
        }
      }
    });

    it('should error the stream with InvalidBookmarkError for a bookmark of another store', async () => {
      const { state } = ctx;
      const other = await ctx.otherState();
      const rec = ctx.record(other.watchKind(itemKind, { bootstrapBookmark: true }));
      await other.create(Items.make('a', { value: 1 }));
      const events: readonly WatchEvent[] = await rec.count(2);
      await state.create(Items.make('a', { value: 1 }));
      for (const e of events) {
        for (const open of openers(
          () => state.watchKind(itemKind, { startFromBookmark: e.bookmark! }),
          () => state.watchKindAggregated(itemKind, { startFromBookmark: e.bookmark! }),
          () => state.watch(Items.pointer('a'), { startFromBookmark: e.bookmark! }),
        )) {
          const error = await watchFailure(ctx, open);
          expect(isInvalidBookmarkError(error), String(error)).toBe(true);
        }
      }
    });
  });
}
