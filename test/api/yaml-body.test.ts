import { describe, expect, it } from 'vitest';
import { parseYamlBody } from '../../src/api/yaml-body.js';

const refusal = (text: string) =>
  parseYamlBody(text, 64).then(
    () => undefined,
    (error: Error) => error.message,
  );

describe('parseYamlBody', () => {
  it('should parse an ordinary body to plain data', async () => {
    const text = [
      'metadata:',
      '  namespace: default',
      '  id: a',
      'spec:',
      '  list:',
      '  - a',
      '  - b: 1',
      '    c: [1, {d: e}]',
      '  script: |',
      '    echo "[[[ #',
      '  none: null',
    ].join('\n');
    expect(await parseYamlBody(text, 64)).toEqual({
      metadata: { namespace: 'default', id: 'a' },
      spec: { list: ['a', { b: 1, c: [1, { d: 'e' }] }], script: 'echo "[[[ #\n', none: null },
    });
  });

  it('should name the line of a bad indentation', async () => {
    const over = 'metadata:\n  namespace: default\n  type: T\n   id: a\nspec:\n  value: 1\n';
    expect(await refusal(over)).toMatch(/line 4: bad indentation/);
    const under = 'metadata:\n  namespace: default\n  type: T\n id: a\nspec:\n  value: 1\n';
    expect(await refusal(under)).toMatch(
      /line 4, column \d+: All mapping items must start at the same column/,
    );
  });

  it('should refuse a duplicate key, naming its line, and aliases', async () => {
    expect(await refusal('a: 1\nb:\n  c: 1\n  c: 2\n')).toMatch(/line 4: duplicate key "c"/);
    expect(await refusal('a: &x 1\nb: *x\n')).toMatch(/aliases are not accepted/);
    expect(await refusal('a: 1\n---\nb: 2\n')).toMatch(/expected one document, found 2/);
  });

  it('should refuse deep nesting before parsing it, in flow and block style', async () => {
    for (const text of [
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}`,
      `${'- '.repeat(100_000)}x`,
      `${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1`,
    ]) {
      expect(await refusal(text)).toMatch(/nests deeper than 64 levels/);
    }
    // Up to the limit, each style parses.
    expect(await parseYamlBody(`${'['.repeat(64)}${']'.repeat(64)}`, 64)).toBeInstanceOf(Array);
    expect(await parseYamlBody(`${'- '.repeat(64)}x`, 64)).toBeInstanceOf(Array);
    const mapSeq = Array.from({ length: 32 }, (_, i) => `${' '.repeat(2 * i)}a:\n${' '.repeat(2 * i)}-`);
    expect(await parseYamlBody(`${mapSeq.join('\n')} 1`, 64)).toHaveProperty('a');
  });
});
