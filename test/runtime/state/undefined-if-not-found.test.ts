import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createState,
  defineResource,
  isNotFoundError,
  undefinedIfNotFound,
  ValidationError,
} from '../../../src/index.js';

const Items = defineResource({
  type: 'UndefinedIfNotFoundItems.test.dev',
  spec: z.object({ n: z.number() }),
});

describe('undefinedIfNotFound', () => {
  it('answers undefined for an absent resource and the resource when present', async () => {
    const state = createState();
    expect(await undefinedIfNotFound(state.get(Items.pointer('a')))).toBeUndefined();
    await state.create(Items.make('a', { n: 1 }));
    expect((await undefinedIfNotFound(state.get(Items.pointer('a'))))?.spec.n).toBe(1);
  });

  it('throws every other error as is', async () => {
    const other = new ValidationError({ namespace: 'default', type: 't', id: 'x' }, []);
    await expect(undefinedIfNotFound(Promise.reject(other))).rejects.toBe(other);
    await expect(undefinedIfNotFound(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(isNotFoundError(other)).toBe(false);
  });
});
