import { describe, expect, it } from 'vitest';
import { AcknowledgedWrites } from '../../../src/runtime/controller/acknowledged-writes.js';
import { OrderedMemo } from '../../../src/runtime/controller/ordered-memo.js';
import { SortedLookup } from '../../../src/runtime/controller/sorted-lookup.js';
import { Strs } from './fixtures.js';

const listOf = (...ids: string[]) => ids.map((id) => Strs.make(id, { value: id }));

describe('SortedLookup', () => {
  it('should find ids in order, out of order and not at all, and keep marks by position', () => {
    const lookup = new SortedLookup(listOf('a', 'b', 'd', 'e'));
    expect(['a', 'b', 'c', 'd', 'e', 'z', 'b', 'a', ''].map((id) => lookup.indexOf(id))).toEqual([
      0, 1, -1, 2, 3, -1, 1, 0, -1,
    ]);
    lookup.mark(2);
    expect([0, 1, 2, 3].map((k) => lookup.marked(k))).toEqual([false, false, true, false]);
    expect(lookup.at(2).metadata.id).toBe('d');
  });

  it('should still find every id in a list that is not sorted by code units', () => {
    const lookup = new SortedLookup(listOf('b', 'a', 'c', '\u{1F600}', '\uFFFF'));
    for (const [k, id] of ['b', 'a', 'c', '\u{1F600}', '\uFFFF'].entries())
      expect(lookup.indexOf(id)).toBe(k);
    expect(lookup.indexOf('d')).toBe(-1);
    expect(new SortedLookup([]).indexOf('a')).toBe(-1);
  });
});

describe('AcknowledgedWrites', () => {
  const at = (id: string, version: number) => ({
    metadata: { namespace: 'default', type: 'T', id, version },
  });

  it('should recognise an acknowledged write by id and version, also in a decoded copy, once', () => {
    const acks = new AcknowledgedWrites();
    acks.add(at('a', 2));
    acks.add(at('b', 5));
    expect(acks.take(at('a', 1))).toBe(false);
    expect(acks.take(structuredClone(at('a', 2)))).toBe(true);
    expect(acks.take(at('a', 2))).toBe(false);
    expect(acks.take(at('c', 5))).toBe(false);
    expect(acks.size).toBe(1);
  });

  it('should drop an acknowledgement that a later event of its id proves lost', () => {
    const acks = new AcknowledgedWrites();
    acks.add(at('a', 2));
    // Version 2's event was coalesced away: version 3 is news, and 2 will never come.
    expect(acks.take(at('a', 3))).toBe(false);
    expect(acks.size).toBe(0);
    expect(acks.take(at('a', 2))).toBe(false);
  });

  it('should hold events that arrive before the write returns, and wake only for someone else’s', () => {
    const acks = new AcknowledgedWrites();
    const a = at('a', 0).metadata;
    acks.begin([a]);
    expect(acks.take(at('a', 2))).toBe(true);
    expect(acks.end([a], [at('a', 2)])).toBe(false);
    // The write failed: the event held meanwhile was someone else's change.
    acks.begin([a]);
    expect(acks.take(at('a', 3))).toBe(true);
    expect(acks.end([a], undefined)).toBe(true);
    // The event comes after the reply: remembered, then matched.
    acks.begin([a]);
    expect(acks.end([a], [at('a', 4)])).toBe(false);
    expect(acks.take(at('a', 4))).toBe(true);
    // Another writer's version arrives during ours.
    acks.begin([a]);
    expect(acks.take(at('a', 5))).toBe(true);
    expect(acks.end([a], [at('a', 6)])).toBe(true);
    expect(acks.take(at('a', 6))).toBe(true);
    expect(acks.size).toBe(0);
  });

  it('should stay bounded when events never come, keeping the newest', () => {
    const acks = new AcknowledgedWrites();
    for (let n = 0; n < 200_000; n++) acks.add(at(`id${n}`, 1));
    expect(acks.size).toBe(4096);
    expect(acks.take(at('id0', 1))).toBe(false);
    expect(acks.take(at('id199999', 1))).toBe(true);
    acks.clear();
    expect(acks.size).toBe(0);
  });

  it('should evict the least recently acknowledged first, across takes, re-acknowledgements and a clear', () => {
    const acks = new AcknowledgedWrites();
    const cap = 4096;
    for (let n = 0; n < cap; n++) acks.add(at(`id${n}`, 1));
    // Full: each new id evicts the oldest. Then id1 is acknowledged again (now the newest) and id2's
    // event arrives (gone), so the next evictions skip both.
    acks.add(at('x0', 1));
    acks.add(at('id1', 2));
    expect(acks.take(at('id2', 1))).toBe(true);
    acks.add(at('x1', 1));
    acks.add(at('x2', 1));
    expect(acks.size).toBe(cap);
    expect(acks.take(at('id0', 1))).toBe(false);
    expect(acks.take(at('id3', 1))).toBe(false);
    expect(acks.take(at('id4', 1))).toBe(true);
    expect(acks.take(at('id1', 2))).toBe(true);
    expect(acks.take(at('x2', 1))).toBe(true);
    acks.clear();
    for (let n = 0; n < cap + 1; n++) acks.add(at(`y${n}`, 1));
    expect(acks.size).toBe(cap);
    expect(acks.take(at('y0', 1))).toBe(false);
    expect(acks.take(at('y1', 1))).toBe(true);
  });
});

describe('OrderedMemo', () => {
  const entry = (id: string) => ({ id, value: id.toUpperCase() });

  it('should find the last run’s entries in id order, forget those not kept, and keep new ones', () => {
    const memo = new OrderedMemo<ReturnType<typeof entry>>();
    let run = memo.beginRun();
    for (const id of ['a', 'c', 'e']) {
      expect(run.find(id)).toBeUndefined();
      run.keep(entry(id));
    }
    run.commit();
    run = memo.beginRun();
    expect(run.find('b')).toBeUndefined();
    const c = run.find('c');
    expect(c?.value).toBe('C');
    run.keep(c!);
    run.keep(entry('d'));
    expect(run.find('e')?.value).toBe('E');
    run.commit();
    expect(memo.size).toBe(2);
    run = memo.beginRun();
    expect(['a', 'c', 'd', 'e'].map((id) => run.find(id)?.value)).toEqual([undefined, 'C', 'D', undefined]);
  });

  it('should still find entries when ids are asked or kept out of order', () => {
    const memo = new OrderedMemo<ReturnType<typeof entry>>();
    let run = memo.beginRun();
    for (const id of ['c', 'a', 'b']) run.keep(entry(id));
    run.commit();
    run = memo.beginRun();
    expect(['b', 'c', 'a', 'z'].map((id) => run.find(id)?.value)).toEqual(['B', 'C', 'A', undefined]);
    for (const id of ['a', 'b', 'c']) run.keep(run.find(id) ?? entry(id));
    run.commit();
    run = memo.beginRun();
    expect(['c', 'a'].map((id) => run.find(id)?.value)).toEqual(['C', 'A']);
  });
});
