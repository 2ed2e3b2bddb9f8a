import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatIp,
  formatPrefix,
  networkOf,
  parseIp,
  parsePrefix,
  prefixContains,
} from '../../src/platform/ip-prefix.js';

describe('ip-prefix', () => {
  it('parses and prints addresses canonically', () => {
    expect(formatIp(parseIp('10.0.0.5')!)).toBe('10.0.0.5');
    expect(formatIp(parseIp('FD00:0:0:0::5')!)).toBe('fd00::5');
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatIp(parseIp('::ffff:10.0.0.1')!)).toBe('::ffff:a00:1');
    expect(formatIp(parseIp('1:2:3:4:5:6:7:8')!)).toBe('1:2:3:4:5:6:7:8');
    expect(formatIp(parseIp('1:0:3:4:5:6:7:8')!)).toBe('1:0:3:4:5:6:7:8');
    for (const bad of [
      '10.0.0',
      '10.0.0.256',
      '010.0.0.1',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fe80::g',
      '',
      'x',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('parses prefixes, masks networks and tests containment', () => {
    const p = parsePrefix('10.1.0.5/24')!;
    expect(formatPrefix(networkOf(p))).toBe('10.1.0.0/24');
    expect(prefixContains(p, parseIp('10.1.0.200')!)).toBe(true);
    expect(prefixContains(p, parseIp('10.1.1.1')!)).toBe(false);
    expect(prefixContains(p, parseIp('fd00::1')!)).toBe(false);
    expect(formatPrefix(networkOf(parsePrefix('fd00::5/64')!))).toBe('fd00::/64');
    expect(parsePrefix('10.0.0.1/33')).toBeUndefined();
    expect(parsePrefix('10.0.0.1/')).toBeUndefined();
    expect(parsePrefix('fd00::1')!.length).toBe(128);
  });

  it('round-trips any IPv6 address through its canonical text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        const text = formatIp({ family: 'inet6', value });
        expect(parseIp(text)).toEqual({ family: 'inet6', value });
        expect(text).not.toMatch(/(^|:)0+[0-9a-f]/);
      }),
    );
  });
});
