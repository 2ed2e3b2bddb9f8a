import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyResource,
  deepEqual,
  defineResource,
  equalResources,
  formatPointer,
  makePointer,
  pointerOf,
} from '../../../src/index.js';

const Things = defineResource({
  type: 'Things.equality.converge.dev',
  spec: z.object({ list: z.array(z.object({ n: z.number() })), map: z.record(z.string(), z.string()) }),
});

const base = Things.make(
  'a',
  { list: [{ n: 1 }], map: { k: 'v' } },
  { labels: { l: '1' }, finalizers: ['f1', 'f2'] },
);
const change = (metadata: Partial<AnyResource['metadata']>, spec?: unknown): AnyResource =>
  ({ metadata: { ...base.metadata, ...metadata }, spec: spec ?? base.spec }) as AnyResource;

describe('equalResources', () => {
  it('should compare metadata and spec, with finalizers as a set and timestamps ignored', () => {
    expect(equalResources(base, base)).toBe(true);
    expect(equalResources(base, change({}, { list: [{ n: 1 }], map: { k: 'v' } }))).toBe(true);
    expect(equalResources(base, change({ finalizers: ['f2', 'f1'] }))).toBe(true);
    expect(equalResources(base, change({ finalizers: ['f2', 'f1', 'f1'] }))).toBe(true);
    expect(equalResources(base, change({ created: '2030-01-01T00:00:00Z', updated: 'x' }))).toBe(true);
  });

  it('should tell apart every other difference', () => {
    const differences: AnyResource[] = [
      change({ namespace: 'other' }),
      change({ id: 'b' }),
      change({ type: 'Others.equality.converge.dev' }),
      change({ version: 1 }),
      change({ owner: 'ctrl' }),
      change({ phase: 'tearingDown' }),
      change({ finalizers: ['f1'] }),
      change({ finalizers: ['f1', 'f3'] }),
      change({ labels: { l: '2' } }),
      change({ labels: { l: '1', m: '1' } }),
      change({ annotations: { a: '' } }),
      change({}, { list: [{ n: 2 }], map: { k: 'v' } }),
      change({}, { list: [{ n: 1 }, { n: 1 }], map: { k: 'v' } }),
      change({}, { list: [{ n: 1 }], map: {} }),
    ];
    for (const other of differences) {
      expect(equalResources(base, other), JSON.stringify(other)).toBe(false);
      expect(equalResources(other, base), JSON.stringify(other)).toBe(false);
    }
  });
});

describe('deepEqual', () => {
  it('should compare JSON-like values structurally', () => {
    expect(deepEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(new Date(5), new Date(6))).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
});

describe('pointers', () => {
  it('should format pointers as type(namespace/id) and kinds as type(namespace)', () => {
    expect(formatPointer(Things.pointer('a'))).toBe('Things.equality.converge.dev(default/a)');
    expect(formatPointer({ namespace: 'ns', type: 'T.x', id: 'a/b' })).toBe('T.x(ns/a/b)');
    expect(formatPointer(Things.kind('net'))).toBe('Things.equality.converge.dev(net)');
  });

  it('should make frozen pointers, also from resources', () => {
    const p = makePointer('ns', 'T.x', 'a');
    expect(p).toEqual({ namespace: 'ns', type: 'T.x', id: 'a' });
    expect(Object.isFrozen(p)).toBe(true);
    expect(pointerOf(base)).toEqual({ namespace: 'default', type: Things.type, id: 'a' });
  });
});
