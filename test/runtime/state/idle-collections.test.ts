import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineResource, isValidationError } from '../../../src/index.js';
import { InMemoryStore } from '../../../src/runtime/state/in-memory-store.js';

const Strict = defineResource({
  type: 'Stricts.idle.converge.dev',
  spec: z.object({ n: z.number() }),
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('in-memory store: idle collections', () => {
  it('should keep no collection for made-up kinds that were only read, watched or refused', async () => {
    const store = new InMemoryStore({ registerMeta: false });
    const kinds = 20_000;
    for (let i = 0; i < kinds; i++) {
      const kind = { namespace: `ns-${i}`, type: `MadeUp${i}.idle.converge.dev` };
      const pointer = { ...kind, id: 'x' };
      await rejection(store.get(pointer));
      await store.list(kind);
      // The first event of a single watch on a missing id is its tombstone.
      await firstValueFrom(store.watch(pointer));
      store.watchKind(kind).subscribe().unsubscribe();
      store.watchKindAggregated(kind, { bootstrapContents: true }).subscribe().unsubscribe();
      const refused = await rejection(
        store
          .create(Strict.make('x', { n: 1 }, { namespace: kind.namespace }), {})
          .then(() => store.create({ ...Strict.make('y', { n: 1 }), spec: { n: 'no' } } as never)),
      );
      expect(isValidationError(refused)).toBe(true);
      await store.destroy({ ...Strict.pointer('x'), namespace: kind.namespace });
      await rejection(store.transaction([{ op: 'destroy', pointer }]));
      await store.delivered();
    }
    expect(store.collectionCount).toBe(0);
  });

  it('should keep a collection while it holds resources or has watchers, and resume there', async () => {
    const store = new InMemoryStore({ registerMeta: false });
    const subscription = store.watchKind(Strict.kind()).subscribe();
    expect(store.collectionCount).toBe(1);
    await store.create(Strict.make('a', { n: 1 }));
    subscription.unsubscribe();
    expect(store.collectionCount).toBe(1);
    const seen: string[] = [];
    store
      .watchKind(Strict.kind(), { bootstrapContents: true })
      .subscribe((e: { type: string }) => seen.push(e.type));
    await store.destroy(Strict.pointer('a'));
    await store.delivered();
    expect(seen).toEqual(['created', 'bootstrapped', 'destroyed']);
    expect(store.collectionCount).toBe(1);
  });
});
