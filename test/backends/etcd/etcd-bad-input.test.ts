import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineResource,
  isNotFoundError,
  isValidationError,
  type ValidationError,
} from '../../../src/index.js';
import { Collector, eventsText, Things, useEtcd } from './support.js';

// A small request limit keeps "near the limit" values small and the test fast.
const limit = 64 * 1024;
const etcd = useEtcd({ maxRequestBytes: limit });

const Blobs = defineResource({
  type: 'EtcdBlobs.test.converge.dev',
  spec: z.unknown(),
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('etcd state with bad or unusual input', () => {
  it('should store ids with slashes, percent signs, unicode and great length, and list them sorted', async () => {
    const state = etcd.state({ maxRequestBytes: limit });
    const ids = [
      'a/b/c',
      '/leading',
      'trailing/',
      '..',
      '%2F',
      '100% done',
      'naïve café',
      'e\u0301',
      '日本語',
      '🚀/🌕',
      '\u0000nul',
      'x'.repeat(20_000),
    ];
    for (const id of ids) await state.create(Things.make(id, { value: id.length }));
    const listed = (await state.list(Things.kind())).map((r) => r.metadata.id);
    expect(listed).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const id of ids) {
      const got = await state.get(Things.pointer(id));
      expect(got.metadata.id).toBe(id);
      expect(got.spec.value).toBe(id.length);
    }
    const watch = new Collector(state.watch(Things.pointer('🚀/🌕')));
    await watch.count(1);
    await state.destroy(Things.pointer('🚀/🌕'));
    expect(eventsText(await watch.count(2))).toEqual(['created 🚀/🌕@1', 'destroyed 🚀/🌕@1']);
    watch.stop();
  });

  it('should keep namespaces and types with slashes and unicode apart from each other', async () => {
    const state = etcd.state({ maxRequestBytes: limit });
    const kinds = [
      { namespace: 'a/b', type: Things.type },
      { namespace: 'a', type: `b/${Things.type}` },
      { namespace: 'a%2Fb', type: Things.type },
      { namespace: 'ünï/cödé', type: Things.type },
    ];
    for (const [i, kind] of kinds.entries()) {
      const made = Things.make('x', { value: i });
      await state.create({ metadata: { ...made.metadata, ...kind }, spec: made.spec });
    }
    for (const [i, kind] of kinds.entries()) {
      const listed = await state.list(kind);
      expect(
        listed.map(
          (r) => `${r.metadata.namespace}|${r.metadata.type}|${(r.spec as { value: number }).value}`,
        ),
      ).toEqual([`${kind.namespace}|${kind.type}|${i}`]);
    }
  });

  it('should refuse an id that is not well-formed unicode with ValidationError', async () => {
    const state = etcd.state({ maxRequestBytes: limit });
    const error = await rejection(state.create(Things.make('bad\uD800', { value: 1 })));
    expect(isValidationError(error)).toBe(true);
    expect(String(error)).toMatch(/well-formed unicode/);
    expect(await state.list(Things.kind())).toEqual([]);
  });

  it('should store a value just under the request limit and refuse one over it, writing nothing', async () => {
    const state = etcd.state({ maxRequestBytes: limit });
    const near = await state.create(Things.make('near', { value: 1, text: 'n'.repeat(limit - 2_048) }));
    expect((await state.get(Things.pointer('near'))).spec.text).toHaveLength(limit - 2_048);

    const over = await rejection(state.create(Things.make('over', { value: 1, text: 'o'.repeat(limit) })));
    expect(isValidationError(over)).toBe(true);
    expect(String(over)).toMatch(/too large for etcd: .* at most 65536 bytes/);
    expect(isNotFoundError(await rejection(state.get(Things.pointer('over'))))).toBe(true);

    // An update over the limit leaves the stored version alone.
    const big = await rejection(state.update({ ...near, spec: { value: 2, text: 'u'.repeat(limit) } }));
    expect(isValidationError(big)).toBe(true);
    expect((await state.get(Things.pointer('near'))).metadata.version).toBe(1);

    // A transaction whose parts fit alone but not together: nothing of it is written.
    const half = 'h'.repeat(limit / 2);
    const txn = await rejection(
      state.transaction([
        { op: 'create', resource: Things.make('t1', { value: 1, text: half }) },
        { op: 'create', resource: Things.make('t2', { value: 1, text: half }) },
      ]),
    );
    expect(isValidationError(txn)).toBe(true);
    expect((await state.list(Things.kind())).map((r) => r.metadata.id)).toEqual(['near']);
  });

  it("should map etcd's own refusal of a large request to the same clear error", async () => {
    // This store believes etcd takes 4 MiB; the server takes 64 KiB and says no itself.
    const state = etcd.state({ maxRequestBytes: 4 * 1024 * 1024 });
    const error = await rejection(
      state.create(Things.make('big', { value: 1, text: 'b'.repeat(limit + 1_000) })),
    );
    expect(isValidationError(error)).toBe(true);
    expect(String(error)).toMatch(/too large for etcd/);
    expect(isNotFoundError(await rejection(state.get(Things.pointer('big'))))).toBe(true);
  });

  it('should refuse specs JSON cannot carry, naming the path, and write nothing', async () => {
    const state = etcd.state({ maxRequestBytes: limit });
    const cases: [unknown, RegExp][] = [
      [{ n: 10n }, /spec\.n: a bigint cannot be stored/],
      [{ when: new Date(0) }, /spec\.when: a Date cannot be stored/],
      [{ list: [1, Number.NaN] }, /spec\.list\.1: must be a finite number/],
      [{ nested: { m: new Map() } }, /spec\.nested\.m: a Map cannot be stored/],
    ];
    for (const [spec, message] of cases) {
      const error = await rejection(state.create(Blobs.make('b', spec)));
      expect(isValidationError(error), String(error)).toBe(true);
      expect((error as ValidationError).message).toMatch(message);
    }
    expect(await state.list(Blobs.kind())).toEqual([]);
    // Plain JSON passes, and undefined properties read back as absent.
    const stored = await state.create(
      Blobs.make('ok', { a: [1, 'x', null, true, { b: {} }], gone: undefined }),
    );
    expect(stored.spec).toEqual({ a: [1, 'x', null, true, { b: {} }] });
    expect(await state.get(Blobs.pointer('ok'))).toEqual(stored);
  });

  it('should refuse a prefix that would overlap other stores', () => {
    expect(() => etcd.state({ prefix: '' })).toThrow(/prefix must be a non-empty string/);
    expect(() => etcd.state({ prefix: 'a/' })).toThrow(/does not end with/);
  });
});
