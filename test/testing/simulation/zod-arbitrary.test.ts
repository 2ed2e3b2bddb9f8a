import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import {
  arbitraryFromSchema,
  SchemaArbitraryError,
  specArbitrary,
} from '../../../src/testing/simulation/zod-arbitrary.js';

const seed = 20260101;

/** Every generated value parses, and the set of values is not trivially small. */
function expectValid(schema: z.ZodType, numRuns = 150): unknown[] {
  const seen: unknown[] = [];
  fc.assert(
    fc.property(arbitraryFromSchema(schema), (value) => {
      const result = schema.safeParse(value);
      if (!result.success) throw new Error(`invalid ${JSON.stringify(value)}: ${result.error.message}`);
      seen.push(value);
    }),
    { seed, numRuns },
  );
  return seen;
}

describe('arbitraryFromSchema', () => {
  it('should generate strings that satisfy length, format, affix and case checks', () => {
    const lengths = expectValid(z.string().min(2).max(5)) as string[];
    expect(new Set(lengths.map((s) => s.length)).size).toBeGreaterThan(2);
    expectValid(z.string().length(3));
    expectValid(z.string().regex(/^[a-z]{2,4}-[0-9]+$/));
    expectValid(z.email());
    expectValid(z.string().email());
    expectValid(z.uuid());
    expectValid(z.url());
    expectValid(z.ipv4());
    expectValid(z.ipv6());
    expectValid(z.cidrv4());
    expectValid(z.iso.datetime());
    expectValid(z.iso.date());
    expectValid(z.string().startsWith('ab').endsWith('z').includes('q').max(8));
    expectValid(z.string().lowercase().min(1));
    expectValid(z.string().trim().toLowerCase());
  });

  it('should generate numbers within bounds, integers and multiples', () => {
    const ports = expectValid(z.number().int().min(1).max(65_535)) as number[];
    expect(ports.every((p) => Number.isInteger(p))).toBe(true);
    expectValid(z.number().gt(0).lt(1));
    expectValid(z.number().multipleOf(0.25).min(-2).max(2));
    expectValid(z.number().int().multipleOf(5).positive());
    expectValid(z.int32());
    expectValid(z.uint32());
    expectValid(z.number().nonnegative());
    expectValid(z.number());
    expectValid(z.bigint().min(1n).max(10n));
    expectValid(z.date());
  });

  it('should generate objects, arrays, tuples, records, sets and maps', () => {
    expectValid(
      z.object({
        name: z.string().min(1),
        port: z.number().int().min(1).max(65_535).default(80),
        tags: z.array(z.string()).max(3),
        mode: z.enum(['auto', 'manual']),
        kind: z.literal(['a', 7]),
        note: z.string().optional(),
        parent: z.string().nullable(),
      }),
    );
    expectValid(z.strictObject({ a: z.boolean() }));
    expectValid(z.array(z.number()).min(2).max(3));
    expectValid(z.array(z.string()).nonempty());
    expectValid(z.tuple([z.string(), z.number()], z.boolean()));
    expectValid(z.record(z.string(), z.number()));
    expectValid(z.record(z.enum(['a', 'b']), z.number()));
    expectValid(z.partialRecord(z.enum(['a', 'b']), z.number()));
    expectValid(z.set(z.string()).max(2));
    expectValid(z.map(z.string(), z.number()));
    expectValid(z.array(z.string()).readonly());
  });

  it('should generate unions, discriminated unions, intersections and template literals', () => {
    const values = expectValid(z.union([z.string(), z.number()]));
    expect(values.some((v) => typeof v === 'string')).toBe(true);
    expect(values.some((v) => typeof v === 'number')).toBe(true);
    expectValid(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('link'), mtu: z.number().int().min(68) }),
        z.object({ kind: z.literal('bond'), members: z.array(z.string()) }),
      ]),
    );
    expectValid(z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })));
    expectValid(z.templateLiteral(['eth', z.number().int().min(0)]));
    expectValid(z.string().nullable().optional());
  });

  it('should respect refinements and pipes by filtering', () => {
    expectValid(z.string().refine((s) => s.length % 2 === 0));
    expectValid(
      z
        .number()
        .int()
        .min(0)
        .max(100)
        .refine((n) => n % 3 === 0),
    );
    expectValid(z.string().pipe(z.string().min(1)));
  });

  it('should omit defaulted and optional keys sometimes, so defaults are exercised', () => {
    const schema = z.object({ value: z.number().default(0), label: z.string().optional() });
    const values = expectValid(schema) as Record<string, unknown>[];
    expect(values.some((v) => !('value' in v))).toBe(true);
    expect(values.some((v) => 'value' in v)).toBe(true);
  });

  it('should bound recursion through lazy schemas', () => {
    type Tree = { name: string; children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree) }));
    const depth = (t: Tree): number => 1 + Math.max(0, ...t.children.map(depth));
    const values = expectValid(tree) as Tree[];
    expect(Math.max(...values.map(depth))).toBeLessThanOrEqual(4);
  });

  it('should use overrides and name the path of what it cannot derive', () => {
    const custom = z.custom<string>((v) => typeof v === 'string' && v.startsWith('x'));
    const schema = z.object({ outer: z.object({ id: custom }) });
    expect(() => arbitraryFromSchema(schema)).toThrow(SchemaArbitraryError);
    expect(() => arbitraryFromSchema(schema)).toThrow(/outer\.id/);
    const arb = arbitraryFromSchema(schema, { overrides: new Map([[custom, fc.constant('x1')]]) });
    expect(fc.sample(arb, { seed, numRuns: 3 })).toEqual([
      { outer: { id: 'x1' } },
      { outer: { id: 'x1' } },
      { outer: { id: 'x1' } },
    ]);
    expect(() =>
      arbitraryFromSchema(
        z
          .string()
          .transform((s) => s.length)
          .pipe(z.number()),
      ),
    ).not.toThrow();
    expect(() => arbitraryFromSchema(z.function())).toThrow(SchemaArbitraryError);
  });

  it('should honour maxLength and maxStringLength', () => {
    const arb = arbitraryFromSchema(z.array(z.string()), { maxLength: 2, maxStringLength: 3 });
    for (const v of fc.sample(arb, { seed, numRuns: 200 })) {
      expect(v.length).toBeLessThanOrEqual(2);
      for (const s of v) expect(s.length).toBeLessThanOrEqual(3);
    }
  });
});

describe('specArbitrary', () => {
  it('should give specs that make() accepts for a resource definition', () => {
    const Links = defineResource({
      type: 'LinkSpecs.sim.test.converge.dev',
      spec: z.object({
        name: z.string().regex(/^[a-z][a-z0-9]{0,14}$/),
        mtu: z.number().int().min(68).max(9000).default(1500),
        addresses: z.array(z.cidrv4()).max(2),
      }),
    });
    fc.assert(
      fc.property(specArbitrary(Links), (spec) => {
        const link = Links.make('eth0', spec);
        expect(link.spec.mtu).toBeGreaterThanOrEqual(68);
      }),
      { seed, numRuns: 100 },
    );
  });
});
