import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineResource, type TransformInput, transformController } from '../../src/index.js';

const Ints = defineResource({ type: 'Ints.types.converge.dev', spec: z.object({ value: z.number() }) });
const Strs = defineResource({ type: 'Strs.types.converge.dev', spec: z.object({ value: z.string() }) });

describe('transformController types', () => {
  it('should give map a typed view of the input without what the memo does not key on', () => {
    transformController({
      name: 'T',
      input: Ints,
      output: Strs,
      map: (i) => {
        expectTypeOf(i).toEqualTypeOf<TransformInput<typeof Ints>>();
        expectTypeOf(i.spec.value).toEqualTypeOf<number>();
        expectTypeOf(i.metadata.labels).toEqualTypeOf<Readonly<Record<string, string>>>();
        // @ts-expect-error the version changes without the data changing: map cannot see it
        void i.metadata.version;
        // @ts-expect-error the transform's own finalizer would make every input map again
        void i.metadata.finalizers;
        return Strs.make(i.metadata.id, { value: String(i.spec.value) });
      },
    });
  });

  it('should refuse a map that returns another type', () => {
    transformController({
      name: 'T',
      input: Ints,
      output: Strs,
      // @ts-expect-error an Ints resource is not an output of this transform
      map: (i) => Ints.make(i.metadata.id, { value: 1 }),
    });
  });
});
