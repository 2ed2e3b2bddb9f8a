import { describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/cli/exit-codes.js';
import { parseSelector } from '../../src/cli/selector.js';
import { label } from '../../src/runtime/state/label-query.js';

describe('parseSelector', () => {
  it('should parse kubectl selectors into ANDed label terms', () => {
    expect(parseSelector('app=web, tier!=db,ready,!legacy,zone in (a, b),size notin (x)')).toEqual([
      label.equal('app', 'web'),
      label.equal('tier', 'db', { invert: true }),
      label.exists('ready'),
      label.exists('legacy', { invert: true }),
      label.in('zone', ['a', 'b']),
      label.in('size', ['x'], { invert: true }),
    ]);
    expect(parseSelector('app==web')).toEqual([label.equal('app', 'web')]);
  });

  it('should refuse a malformed selector as a usage error', () => {
    for (const bad of ['', 'a=b,,c', 'a in b', '=v', 'a=(b)']) {
      expect(() => parseSelector(bad), bad).toThrow(expect.objectContaining({ exitCode: exitCodes.usage }));
    }
  });
});
