import { describe, expect, it } from 'vitest';
import { compileJsonPathTemplate } from '../../src/cli/jsonpath-template.js';
import { cell, evaluateJsonPath, headers, printTable, row } from '../../src/cli/output.js';

describe('table output', () => {
  it('should evaluate the JSONPath subset of print columns', () => {
    const spec = { a: { b: [10, { c: 'x' }] }, list: ['p', 'q'] };
    expect(evaluateJsonPath('{.a.b[0]}', spec)).toBe(10);
    expect(evaluateJsonPath('{.a.b[1].c}', spec)).toBe('x');
    expect(evaluateJsonPath('{.list}', spec)).toEqual(['p', 'q']);
    expect(evaluateJsonPath('{.missing.deeper}', spec)).toBeUndefined();
    expect(evaluateJsonPath('{.a}', '<redacted>')).toBeUndefined();
    expect([cell('s'), cell(3), cell(['a']), cell(undefined)]).toEqual(['s', '3', '["a"]', '']);
  });

  it('should lay out columns three spaces apart, with a watch marker column first', () => {
    const columns = { displayType: 'Item', printColumns: [{ name: 'Value', jsonPath: '{.value}' }] };
    const r = {
      metadata: { namespace: 'default', type: 'Items.t.dev', id: 'a', version: 12, phase: 'running' },
      spec: { value: 7 },
    };
    let out = '';
    printTable(headers(columns, true), [row(columns, r, 'created'), row(columns, r, 'updated')], (t) => {
      out += t;
    });
    expect(out).toBe(
      [
        '*   NAMESPACE   TYPE   ID   VERSION   PHASE     VALUE',
        '+   default     Item   a    12        running   7',
        '    default     Item   a    12        running   7',
        '',
      ].join('\n'),
    );
  });
});

describe('jsonpath templates', () => {
  const list = {
    items: [
      { metadata: { id: 'a', labels: { tier: 'web' } }, spec: { value: 1 } },
      { metadata: { id: 'b', labels: {} }, spec: { value: 22 } },
    ],
  };

  it('should print paths, literals and ranges as kubectl does', () => {
    const render = (t: string) => compileJsonPathTemplate(t).render(list);
    expect(render('{.items[*].metadata.id}')).toBe('a b');
    expect(render('.items[0].spec.value')).toBe('1');
    expect(render('{range .items[*]}{.metadata.id}={.spec.value}{"\\n"}{end}')).toBe('a=1\nb=22\n');
    expect(render('{.items[?(@.spec.value > 5)].metadata.id}')).toBe('b');
    expect(render('{.items[0].metadata.labels}')).toBe('{"tier":"web"}');
    expect(render('ids: {.items[*].metadata.missing}.')).toBe('ids: .');
  });

  it('should refuse a malformed template with a usage error', () => {
    for (const t of ['{.items', '{range .items[*]}{.x}', '{end}', '{}']) {
      expect(() => compileJsonPathTemplate(t), t).toThrow(/invalid jsonpath template/);
    }
  });
});
