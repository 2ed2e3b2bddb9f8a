import { describe, expect, it } from 'vitest';
import { linearRegExp } from '../../src/api/safe-regex.js';

/** CPU milliseconds of `fn` (user + system), not wall time: other processes do not count. */
function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe('linearRegExp', () => {
  it('should match the id queries people write as a native RegExp does', () => {
    const ids = ['eth0', 'eth1', 'wlan0', 'lo', 'ab-12', 'AB-3', 'a.b', 'x(y)'];
    for (const [source, flags] of [
      ['^eth', ''],
      ['0$', ''],
      ['^(eth|wlan)[0-9]+$', ''],
      ['a.*b', ''],
      ['^[a-z]{2,8}-\\d+$', 'i'],
      ['(?:ab)?c', ''],
      ['[(+*]', ''],
      ['^(?<kind>eth|lo)', ''],
      ['\\.', 's'],
    ] as const) {
      const linear = linearRegExp(source, flags);
      const native = new RegExp(source, flags);
      expect(linear).toBeInstanceOf(RegExp);
      expect(linear.source).toBe(source);
      expect(linear.flags).toBe(native.flags);
      for (const id of ids) expect(linear.test(id), `${source} on ${id}`).toBe(native.test(id));
    }
  });

  it('should refuse what RE2 cannot match in linear time, saying why', () => {
    expect(() => linearRegExp('(a)\\1')).toThrow(SyntaxError);
    expect(() => linearRegExp('a(?=b)')).toThrow(/unsupported/);
    expect(() => linearRegExp('(')).toThrow(SyntaxError);
    expect(() => linearRegExp('(.{0,100}x){200}')).toThrow(/repeat count/);
    expect(() => linearRegExp('.{0,999}.{0,999}.{0,999}!')).toThrow(/too large/);
    expect(() => linearRegExp('a', 'g')).toThrow(/flag "g"/);
  });

  it('should spend a bounded time per id on patterns that make a backtracking engine explode', () => {
    const attacks: [string, string][] = [
      // Each of these holds a backtracking engine for seconds per id.
      ['.*.*.*!', 'a'.repeat(300)],
      [`${'.{0,16}'.repeat(20)}!`, 'abcdefghijklmno'],
      ['^(a+)+$', `${'a'.repeat(1000)}b`],
      ['(a|aa)*c', 'a'.repeat(1000)],
    ];
    for (const [source, id] of attacks) {
      const re = linearRegExp(source);
      re.test(id); // warm up
      const ms = cpuMs(() => {
        for (let i = 0; i < 20; i++) expect(re.test(id)).toBe(false);
      });
      // A few ms per id at most, with a wide margin for a loaded machine.
      expect(ms / 20, source).toBeLessThan(5);
    }
  });
});
