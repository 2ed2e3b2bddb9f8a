import { describe, expect, it } from 'vitest';
import { label, matchesLabelQuery } from '../../../src/index.js';
import { parseLabelNumber } from '../../../src/runtime/state/label-query.js';

describe('label builders', () => {
  it('should build frozen terms, with invert only when asked', () => {
    expect(label.exists('a')).toEqual({ key: 'a', op: 'exists' });
    expect(label.exists('a', { invert: true })).toEqual({ key: 'a', op: 'exists', invert: true });
    expect(label.equal('a', 'x')).toEqual({ key: 'a', op: 'equal', value: ['x'] });
    expect(label.in('a', ['x', 'y'], { invert: true })).toEqual({
      key: 'a',
      op: 'in',
      value: ['x', 'y'],
      invert: true,
    });
    expect(label.lt('a', '1')).toEqual({ key: 'a', op: 'lt', value: ['1'] });
    expect(label.lte('a', '1')).toEqual({ key: 'a', op: 'lte', value: ['1'] });
    expect(label.ltNumeric('a', '1Ki')).toEqual({ key: 'a', op: 'ltNumeric', value: ['1Ki'] });
    expect(label.lteNumeric('a', '1k', { invert: false })).toEqual({
      key: 'a',
      op: 'lteNumeric',
      value: ['1k'],
    });
    const term = label.in('a', ['x']);
    expect(Object.isFrozen(term)).toBe(true);
    expect(Object.isFrozen(term.value)).toBe(true);
  });

  it('should copy the values it is given', () => {
    const values = ['x'];
    const term = label.in('a', values);
    values.push('y');
    expect(term.value).toEqual(['x']);
  });
});

describe('matchesLabelQuery', () => {
  it('should AND the terms, an empty query matching everything', () => {
    expect(matchesLabelQuery({}, [])).toBe(true);
    const query = [label.exists('a'), label.equal('b', '1')];
    expect(matchesLabelQuery({ a: '', b: '1' }, query)).toBe(true);
    expect(matchesLabelQuery({ a: '', b: '2' }, query)).toBe(false);
    expect(matchesLabelQuery({ b: '1' }, query)).toBe(false);
  });

  it('should not take inherited properties for labels', () => {
    expect(matchesLabelQuery({}, [label.exists('toString')])).toBe(false);
    expect(matchesLabelQuery({}, [label.exists('constructor', { invert: true })])).toBe(true);
  });
});

describe('parseLabelNumber', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['-7', -7],
    ['1Ki', 1024],
    ['1ki', 1024],
    ['2Mi', 2 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1k', 1e3],
    ['1K', 1e3],
    ['1m', 1e6],
    ['1g', 1e9],
    ['1t', 1e12],
    ['1p', 1e15],
    ['10kg', 1e4],
    ['4GB', 4e9],
    ['5GiB', 5 * 2 ** 30],
    [' 8 ', 8],
    ['3 Ki', 3072],
  ])('should read %j as %d', (text, value) => {
    expect(parseLabelNumber(text)).toBe(value);
  });

  it.each(['', 'ten', 'x10', '10x', '-', '1-2', '--1', 'Ki'])('should not read %j', (text) => {
    expect(parseLabelNumber(text)).toBeUndefined();
  });
});
