import type { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyResource,
  createState,
  defineResource,
  isInvalidBookmarkError,
  isOverrunError,
  type State,
  type WatchEvent,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';

const Bursts = defineResource({
  type: 'Bursts.memory.converge.dev',
  spec: z.object({ n: z.number() }),
});
const Quiet = defineResource({ type: 'Quiets.memory.converge.dev', spec: z.object({}) });

/** What a stream delivered, once every pending delivery has run. */
interface Seen<T> {
  items: T[];
  error: unknown;
}

function collect<T>(observable: Observable<T>): Seen<T> {
  const seen: Seen<T> = { items: [], error: undefined };
  observable.subscribe({ next: (item) => seen.items.push(item), error: (e: unknown) => (seen.error = e) });
  return seen;
}

const id = (i: number) => `b${String(i).padStart(6, '0')}`;

/** `n` creates issued in one synchronous burst, then awaited together. */
async function burst(state: State, from: number, n: number): Promise<void> {
  const template = Bursts.make('x', { n: 0 });
  const writes: Promise<unknown>[] = [];
  for (let i = from; i < from + n; i++) {
    writes.push(state.create({ ...template, metadata: { ...template.metadata, id: id(i) } }));
  }
  await Promise.all(writes);
}

const describeEvent = (e: WatchEvent) =>
  e.type === 'created' || e.type === 'updated' || e.type === 'destroyed'
    ? `${e.type} ${e.resource.metadata.id}@${e.resource.metadata.version}`
    : e.type;

describe('in-memory store', () => {
  describe('overrun', () => {
    it('should error watchers lapped by a synchronous burst, naming the namespace and type', async () => {
      const state = createState({ history: { initialCapacity: 100, maxCapacity: 1_000, gap: 5 } });
      const kind = collect(state.watchKind(Bursts.kind()));
      const batches = collect(state.watchKindAggregated(Bursts.kind()));
      const single = collect(state.watch(Bursts.pointer(id(0))));
      const other = collect(state.watchKind(Quiet.kind(), { bootstrapContents: true }));
      await state.delivered!();
      await burst(state, 0, 3_000);
      await state.create(Quiet.make('q', {}));
      await state.delivered!();
      for (const seen of [kind, batches, single]) {
        expect(isOverrunError(seen.error), String(seen.error)).toBe(true);
        const message = (seen.error as Error).message;
        expect(message).toMatch(/^buffer overrun: /);
        expect(message).toContain('namespace "default"');
        expect(message).toContain(`type "${Bursts.type}"`);
        expect(message).toContain('write pos 3000, pos 0, capacity 1000');
      }
      // The writer was not held back and other kinds carry on.
      expect((await state.list(Bursts.kind())).length).toBe(3_000);
      expect(other.error).toBeUndefined();
      expect(other.items.map(describeEvent)).toEqual(['bootstrapped', 'created q@1']);
    });

    it('should keep up with bursts that stay within the capacity', async () => {
      const state = createState({ history: { initialCapacity: 100, maxCapacity: 1_000, gap: 5 } });
      const kind = collect(state.watchKind(Bursts.kind()));
      for (let round = 0; round < 5; round++) {
        await burst(state, round * 1_000, 1_000);
        await state.delivered!();
      }
      expect(kind.error).toBeUndefined();
      expect(kind.items).toHaveLength(5_000);
    });

    it('should overrun a watcher whose own callback writes past the capacity', async () => {
      const state = createState({ history: { initialCapacity: 10, maxCapacity: 10, gap: 1 } });
      const events: WatchEvent[] = [];
      let error: unknown;
      state.watchKind(Bursts.kind()).subscribe({
        next(e) {
          events.push(e);
          if (events.length === 1) void burst(state, 100, 20);
        },
        error: (e: unknown) => (error = e),
      });
      await state.create(Bursts.make('first', { n: 0 }));
      await state.delivered!();
      expect(isOverrunError(error)).toBe(true);
      expect(events.map(describeEvent)).toEqual(['created first@1']);
    });
  });

  describe('bookmarks and tails', () => {
    it('should reject bookmarks older than capacity − gap once the ring is full-grown', async () => {
      const state = createState({ history: { initialCapacity: 10, maxCapacity: 20, gap: 3 } });
      await burst(state, 0, 20);
      const head = collect(state.watchKind(Bursts.kind(), { bootstrapBookmark: true }));
      await state.delivered!();
      const bookmark = head.items[0]!.bookmark!;
      await burst(state, 20, 17);
      const edge = collect(state.watchKind(Bursts.kind(), { startFromBookmark: bookmark }));
      await state.delivered!();
      expect(edge.error).toBeUndefined();
      expect(edge.items).toHaveLength(17);
      await burst(state, 37, 1);
      const stale = collect(state.watchKind(Bursts.kind(), { startFromBookmark: bookmark }));
      const staleSingle = collect(state.watch(Bursts.pointer(id(0)), { startFromBookmark: bookmark }));
      await state.delivered!();
      expect(isInvalidBookmarkError(stale.error)).toBe(true);
      expect((stale.error as Error).message).toContain('older than the retained history');
      expect(isInvalidBookmarkError(staleSingle.error)).toBe(true);
    });

    it('should resume old bookmarks while the ring still grows', async () => {
      const state = createState({ history: { initialCapacity: 4, maxCapacity: 64, gap: 2 } });
      const head = collect(state.watchKind(Bursts.kind(), { bootstrapBookmark: true }));
      await state.delivered!();
      await burst(state, 0, 40);
      const resumed = collect(
        state.watchKind(Bursts.kind(), { startFromBookmark: head.items[0]!.bookmark! }),
      );
      await state.delivered!();
      expect(resumed.error).toBeUndefined();
      expect(resumed.items).toHaveLength(40);
    });

    it('should reject bookmarks of another kind and from the future', async () => {
      const state = createState();
      const bursts = collect(state.watchKind(Bursts.kind(), { bootstrapBookmark: true }));
      await state.delivered!();
      const bookmark = bursts.items[0]!.bookmark!;
      const otherKind = collect(state.watchKind(Quiet.kind(), { startFromBookmark: bookmark }));
      const otherNamespace = collect(
        state.watchKind(Bursts.kind('elsewhere'), { startFromBookmark: bookmark }),
      );
      const [cookie, serial] = bookmark.split('.');
      const future = collect(state.watchKind(Bursts.kind(), { startFromBookmark: `${cookie}.${serial}.zz` }));
      await state.delivered!();
      for (const seen of [otherKind, otherNamespace, future]) {
        expect(isInvalidBookmarkError(seen.error), String(seen.error)).toBe(true);
      }
    });

    it('should clamp kind and single tails to capacity − gap', async () => {
      const state = createState({ history: { initialCapacity: 10, maxCapacity: 20, gap: 3 } });
      let r: AnyResource = await state.create(Bursts.make('one', { n: 0 }));
      for (let i = 0; i < 30; i++) r = await state.update({ ...r, spec: { n: i + 1 } });
      const kind = collect(state.watchKind(Bursts.kind(), { tailEvents: 1_000 }));
      const single = collect(state.watch(Bursts.pointer('one'), { tailEvents: 1_000 }));
      const some = collect(state.watch(Bursts.pointer('one'), { tailEvents: 3 }));
      await state.delivered!();
      expect(kind.items).toHaveLength(17);
      expect(kind.items.map(describeEvent)[0]).toBe('updated one@15');
      expect(single.items.map(describeEvent)).toEqual(kind.items.map(describeEvent));
      expect(some.items.map(describeEvent)).toEqual(['updated one@29', 'updated one@30', 'updated one@31']);
    });
  });

  describe('time and delivery', () => {
    it('should take timestamps from the injected clock', async () => {
      const clock = createVirtualClock({ start: Date.UTC(2030, 0, 2, 3, 4, 5, 6) });
      const state = createState({ clock });
      const created = await state.create(Bursts.make('a', { n: 1 }));
      expect(created.metadata.created).toBe('2030-01-02T03:04:05.006Z');
      expect(created.metadata.updated).toBe('2030-01-02T03:04:05.006Z');
      await clock.advance(1_500);
      const updated = await state.update({ ...created, spec: { n: 2 } });
      expect(updated.metadata.created).toBe('2030-01-02T03:04:05.006Z');
      expect(updated.metadata.updated).toBe('2030-01-02T03:04:06.506Z');
    });

    it('should resolve delivered() once every pending event reached its watchers', async () => {
      const state = createState();
      const seen = collect(state.watchKind(Bursts.kind(), { bootstrapContents: true }));
      void state.create(Bursts.make('a', { n: 1 }));
      void state.create(Bursts.make('b', { n: 1 }));
      expect(seen.items).toEqual([]);
      await state.delivered!();
      expect(seen.items.map(describeEvent)).toEqual(['bootstrapped', 'created a@1', 'created b@1']);
      await state.delivered!();
    });

    it('should reject history options that cannot work', () => {
      expect(() => createState({ history: { initialCapacity: 4, gap: 4 } })).toThrow(RangeError);
    });
  });

  describe('sorted listing', () => {
    it('should list in id order through churn of created, destroyed and re-created ids between lists', async () => {
      const state = createState();
      const model = new Set<string>();
      let seed = 7;
      const next = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed;
      };
      for (let round = 0; round < 6; round++) {
        // Thousands of short-lived ids with no list in between, some of them coming back.
        for (let i = 0; i < 5_000; i++) {
          const key = `k${next() % 500}`;
          if (model.has(key)) {
            await state.destroy(Bursts.pointer(key));
            model.delete(key);
          } else {
            await state.create(Bursts.make(key, { n: i }));
            model.add(key);
          }
        }
        const listed = (await state.list(Bursts.kind())).map((r) => r.metadata.id);
        expect(listed).toEqual([...model].sort());
      }
    });

    it('should list every survivor of a long churn of unique ids that nobody listed meanwhile', async () => {
      const state = createState();
      const kept: string[] = [];
      for (let i = 0; i < 4_000; i++) {
        for (const part of ['a', 'b', 'c', 'd']) await state.create(Bursts.make(`${part}${i}`, { n: i }));
        for (const part of ['b', 'c', 'd']) await state.destroy(Bursts.pointer(`${part}${i}`));
        kept.push(`a${i}`);
      }
      expect((await state.list(Bursts.kind())).map((r) => r.metadata.id)).toEqual(kept.sort());
    });
  });
});
