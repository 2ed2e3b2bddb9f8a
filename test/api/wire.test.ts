import { describe, expect, it } from 'vitest';
import { StreamMemo } from '../../src/api/wire.js';

const r = (id: string, version: number) => ({ metadata: { id, version } });

describe('StreamMemo', () => {
  it('should remember created and updated resources, forget destroyed ones, and drop the oldest id beyond capacity', () => {
    const memo = new StreamMemo<ReturnType<typeof r>>(2);
    const a1 = r('a', 1);
    memo.remember({ type: 'created', resource: a1 });
    memo.remember({ type: 'created', resource: r('b', 1) });
    expect(memo.get('a')).toBe(a1);
    const a2 = r('a', 2);
    memo.remember({ type: 'updated', resource: a2 });
    // a was written last, so b is now the oldest and goes first.
    memo.remember({ type: 'created', resource: r('c', 1) });
    expect([memo.get('a'), memo.get('b')?.metadata.version, memo.get('c')?.metadata.version]).toEqual([
      a2,
      undefined,
      1,
    ]);
    memo.remember({ type: 'destroyed', resource: r('a', 2) });
    expect(memo.get('a')).toBeUndefined();
    memo.remember({ type: 'bootstrapped' });
    expect(memo.get('c')?.metadata.version).toBe(1);
  });
});
