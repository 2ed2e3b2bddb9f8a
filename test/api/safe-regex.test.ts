import { describe, expect, it } from 'vitest';
import { unsafeRegexReason } from '../../src/api/safe-regex.js';

describe('unsafeRegexReason', () => {
  it('should accept the id queries people write', () => {
    for (const source of [
      '^eth',
      '0$',
      '^(eth|wlan)[0-9]+$',
      '^keep',
      'a.*b',
      '^[a-z]{2,8}-\\d+$',
      '(?:ab)?c',
      '[(+*]',
      '\\(a+\\)+',
    ]) {
      expect(unsafeRegexReason(source), source).toBeUndefined();
    }
  });

  it('should refuse backreferences, repeated groups that repeat or alternate, and runs of unbounded repeats', () => {
    expect(unsafeRegexReason('(a)\\1')).toMatch(/backreferences/);
    expect(unsafeRegexReason('(?<x>a)\\k<x>')).toMatch(/backreferences/);
    for (const source of ['(a+)+$', '(a*)*', '(a|aa)+', '((ab)+c)*', '(a{1,3}){2,}', '(.*a){5}']) {
      expect(unsafeRegexReason(source), source).toMatch(/repeated group/);
    }
    expect(unsafeRegexReason('.*.*.*.*x')).toMatch(/unbounded/);
  });
});
