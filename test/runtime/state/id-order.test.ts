import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdOrder } from '../../../src/runtime/state/id-order.js';

/** A map with its id order, driven as the collection drives it. */
function ordered() {
  const items = new Map<string, string>();
  const order = new IdOrder(items);
  return {
    items,
    set(id: string) {
      const isNew = !items.has(id);
      items.set(id, `v:${id}`);
      if (isNew) order.added(id);
    },
    delete(id: string) {
      if (items.delete(id)) order.removed(id);
    },
    list: () => order.sortedValues(),
  };
}

const sortedValues = (items: Map<string, string>) => [...items.keys()].sort().map((id) => `v:${id}`);

describe('IdOrder', () => {
  it('should list in id order whatever order ids are set, deleted and set again in, listed at any time', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id: fc.stringMatching(/^[a-e]{1,3}$/) }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.stringMatching(/^[a-e]{1,3}$/) }),
      fc.record({ kind: fc.constant('list' as const), id: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const o = ordered();
        for (const { kind, id } of ops) {
          if (kind === 'set') o.set(id);
          else if (kind === 'delete') o.delete(id);
          else expect(o.list()).toEqual(sortedValues(o.items));
        }
        expect(o.list()).toEqual(sortedValues(o.items));
      }),
      { numRuns: 500 },
    );
  });

  it('should keep ids created in order in the map’s own order, and sort the rest once they are not', () => {
    const o = ordered();
    for (const id of ['a', 'b', 'd']) o.set(id);
    o.set('b');
    o.delete('a');
    expect(o.list()).toEqual(['v:b', 'v:d']);
    o.set('c');
    o.set('a');
    expect(o.list()).toEqual(['v:a', 'v:b', 'v:c', 'v:d']);
    for (const id of ['a', 'b', 'c', 'd']) o.delete(id);
    o.set('z');
    o.set('y');
    expect(o.list()).toEqual(['v:y', 'v:z']);
  });
});
