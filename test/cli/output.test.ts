import { describe, expect, it } from 'vitest';
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
      metadata: { namespace: 'default', type: 'Items.t.dev', id: 'a', version: 12 },
      spec: { value: 7 },
    };
    let out = '';
    printTable(headers(columns, true), [row(columns, r, 'created'), row(columns, r, 'updated')], (t) => {
      out += t;
    });
    expect(out).toBe(
      [
        '*   NAMESPACE   TYPE   ID   VERSION   VALUE',
        '+   default     Item   a    12        7',
        '    default     Item   a    12        7',
        '',
      ].join('\n'),
    );
  });
});
