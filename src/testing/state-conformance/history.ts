import { describe, expect, it } from 'vitest';
import {
  type AnyResource,
  isInvalidBookmarkError,
  isOverrunError,
  type RuntimeError,
  type State,
  type TransactionOp,
} from '../../index.js';
import {
  atVersion,
  describeEvents,
  Items,
  itemKind,
  ns,
  openers,
  type SuiteContext,
  watchFailure,
  withValue,
} from './support.js';

/** Writes `n` updates of `churn` (created first if absent) in one transaction: `n` events appended at once. */
async function churn(state: State, n: number): Promise<AnyResource> {
  let base: AnyResource;
  try {
    base = await state.get(Items.pointer('churn'));
  } catch {
    base = await state.create(Items.make('churn', { value: 0 }));
  }
  const v = base.metadata.version;
  const ops: TransactionOp[] = Array.from({ length: n }, (_, i) => ({
    op: 'update',
    resource: atVersion(base, v + i),
  }));
  const results = await state.transaction(ops);
  return results.at(-1) ?? base;
}

/**
 * The bounded history: overruns, bookmarks that fell out of the window, tails clamped to it.
 * Runs only for backends that declare `history: { capacity, gap }`.
 */
export function historyCases(ctx: SuiteContext): void {
  const history = ctx.options.history;
  const tails = ctx.options.capabilities?.tailEvents ?? true;

  describe('bounded history', () => {
    if (history === undefined) {
      it('should resume from a bookmark after many more events than a short history holds', async () => {
        // Without a declared bound, the contract only promises that retained bookmarks resume.
        const { state } = ctx;
        const rec = ctx.record(state.watchKind(itemKind, { bootstrapBookmark: true }));
        const [noop] = await rec.count(1);
        let churned = await state.create(Items.make('churn', { value: 0 }));
        for (let i = 0; i < 50; i++) churned = await state.update(churned);
        const resumed = ctx.record(state.watchKind(itemKind, { startFromBookmark: noop!.bookmark! }));
        const events = await resumed.count(51);
        expect(describeEvents(events)).toEqual([
          'created churn@1',
          ...Array.from({ length: 50 }, (_, i) => `updated churn@${i + 2}`),
        ]);
      });
      return;
    }
    const { capacity, gap } = history;

    it('should error watchers that fall more than the capacity behind with OverrunError', async () => {
      const { state } = ctx;
      const kind = ctx.record(state.watchKind(itemKind));
      const batches = ctx.record(state.watchKindAggregated(itemKind));
      const single = ctx.record(state.watch(Items.pointer('churn')));
      await churn(state, 0);
      await kind.count(1);
      await batches.count(1);
      await single.count(2);
      // More events than the ring holds, appended before any watcher can run.
      await churn(state, capacity + 1);
      for (const error of [await kind.failure(), await batches.failure(), await single.failure()]) {
        expect(isOverrunError(error), String(error)).toBe(true);
        const message = (error as RuntimeError).message;
        expect(message).toContain('buffer overrun');
        expect(message).toContain(ns);
        expect(message).toContain(Items.type);
        expect((error as RuntimeError).code).toBe('Overrun');
      }
      // The writer was never blocked, and a fresh bootstrap sees everything.
      const fresh = ctx.record(state.watchKind(itemKind, { bootstrapContents: true }));
      const boot = await fresh.count(2);
      expect(boot[0]).toMatchObject({ type: 'created', resource: await state.get(Items.pointer('churn')) });
      expect(describeEvents(boot)).toEqual([`created churn@${capacity + 2}`, 'bootstrapped']);
    });

    it('should not error a watcher that stays within the capacity', async () => {
      const { state } = ctx;
      const kind = ctx.record(state.watchKind(itemKind));
      await churn(state, 0);
      await kind.count(1);
      await churn(state, capacity);
      const events = await kind.count(capacity + 1);
      expect(describeEvents(events.slice(-1))).toEqual([`updated churn@${capacity + 1}`]);
      expect(kind.failed).toBe(false);
    });

    it('should resume bookmarks up to capacity − gap events old and reject older ones', async () => {
      const { state } = ctx;
      // Grow the ring to its full size first.
      const filled = await churn(state, capacity);
      const rec = ctx.record(state.watchKind(itemKind, { bootstrapBookmark: true }));
      const [noop] = await rec.count(1);
      const bookmark = noop!.bookmark!;
      await churn(state, capacity - gap);
      const edge = ctx.record(state.watchKind(itemKind, { startFromBookmark: bookmark }));
      const events = await edge.count(capacity - gap);
      expect(describeEvents(events.slice(0, 1))).toEqual([`updated churn@${filled.metadata.version + 1}`]);
      await churn(state, 1);
      for (const open of openers(
        () => state.watchKind(itemKind, { startFromBookmark: bookmark }),
        () => state.watchKindAggregated(itemKind, { startFromBookmark: bookmark }),
        () => state.watch(Items.pointer('churn'), { startFromBookmark: bookmark }),
      )) {
        const error = await watchFailure(ctx, open);
        expect(isInvalidBookmarkError(error), String(error)).toBe(true);
      }
    });

    if (tails) {
      it('should clamp kind tails to capacity − gap events', async () => {
        const { state } = ctx;
        const last = await churn(state, capacity + gap + 3);
        const tail = ctx.record(state.watchKind(itemKind, { tailEvents: capacity * 2 }));
        const a = await state.get(Items.pointer('churn'));
        await state.update(withValue(a, 1));
        const events = await tail.count(capacity - gap + 1);
        expect(events).toHaveLength(capacity - gap + 1);
        const first = last.metadata.version - (capacity - gap) + 1;
        expect(describeEvents(events.slice(0, 1))).toEqual([`updated churn@${first}`]);
        expect(describeEvents(events.slice(-1))).toEqual([`updated churn@${last.metadata.version + 1}`]);
      });
    }
  });
}
