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
  it('should recognise acknowledged values once, in order, skipping a few that never come', () => {
    const acks = new AcknowledgedWrites();
    const [a, b, c, d, other] = [{}, {}, {}, {}, {}];
    for (const v of [a, b, c, d]) acks.add(v);
    expect(acks.take(a)).toBe(true);
    expect(acks.take(a)).toBe(false);
    expect(acks.take(other)).toBe(false);
    // b never arrives: c is found past it, and b is forgotten.
    expect(acks.take(c)).toBe(true);
    expect(acks.take(b)).toBe(false);
    expect(acks.take(d)).toBe(true);
  });

  it('should forget the oldest past its capacity and not look further than its lookahead', () => {
    const acks = new AcknowledgedWrites();
    const values = Array.from({ length: 5_000 }, () => ({}));
    for (const v of values) acks.add(v);
    expect(acks.take(values[0]!)).toBe(false);
    const oldestKept = values[5_000 - 4_096]!;
    expect(acks.take(values[5_000 - 4_096 + 20]!)).toBe(false);
    expect(acks.take(oldestKept)).toBe(true);
    for (const v of values.slice(5_000 - 4_096 + 1)) expect(acks.take(v)).toBe(true);
    expect(acks.take(values[4_999]!)).toBe(false);
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
