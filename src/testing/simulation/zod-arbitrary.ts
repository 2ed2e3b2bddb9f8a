import fc from 'fast-check';
import type { z } from 'zod';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { SpecInputOf } from '../../runtime/resource/resource.js';
import type { AnySchema, CheckDef, ZodInternals } from './zod-internals.js';
import { numberArbitrary, stringArbitrary } from './zod-leaf-arbitrary.js';

/** Options of {@link arbitraryFromSchema}. */
export interface SchemaArbitraryOptions {
  /** Longest generated arrays, sets, maps and records (default 4; a schema's own minimum wins). */
  maxLength?: number;
  /** Longest generated plain strings (default 10; a schema's own minimum wins). */
  maxStringLength?: number;
  /** How many `z.lazy` levels a value may nest (default 3). */
  maxDepth?: number;
  /** Arbitraries used for these schemas instead of derived ones (e.g. for a `z.custom` or a transform). */
  overrides?: ReadonlyMap<z.ZodType, fc.Arbitrary<unknown>>;
}

/** A schema the walker cannot derive values for; the message names the path and the schema kind. */
export class SchemaArbitraryError extends Error {
  constructor(
    readonly path: string,
    readonly schemaType: string,
    detail: string,
  ) {
    super(`arbitraryFromSchema: cannot generate ${schemaType} at ${path || '(root)'}: ${detail}`);
    this.name = 'SchemaArbitraryError';
  }
}

interface Walk {
  readonly maxLength: number;
  readonly maxStringLength: number;
  readonly maxDepth: number;
  readonly overrides: ReadonlyMap<unknown, fc.Arbitrary<unknown>> | undefined;
}

/** Every check of a schema: the ones in `def.checks`, plus the def itself when it is a format (`z.email()`). */
function checksOf(schema: AnySchema): CheckDef[] {
  const def = schema._zod.def;
  const out = (def.checks ?? []).map((c) => c._zod.def);
  if (typeof def.check === 'string') out.unshift(def as unknown as CheckDef);
  return out;
}

const validated = (schema: AnySchema, arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  arb.filter((v) => schema.safeParse(v).success);

/**
 * Derives a fast-check arbitrary of valid inputs from a zod 4 schema by walking its `_zod.def`:
 * objects, arrays, strings with their checks and formats, numbers with bounds, `int` and `multipleOf`,
 * bigints, booleans, enums, literals, unions, intersections, optionals, defaults, nullables, records,
 * tuples, sets, maps, dates, template literals, lazy schemas, pipes and refinements (by filtering).
 *
 * @remarks Values are zod *inputs* (what `D.make` accepts): a defaulted key may be absent. Schemas no
 * value can be derived for (transforms without an input schema, `z.custom`, functions) throw a
 * {@link SchemaArbitraryError} naming the path; give them an entry in `overrides`.
 * @example
 * ```ts
 * fc.assert(fc.property(arbitraryFromSchema(Links.spec), (spec) => Links.spec.safeParse(spec).success));
 * ```
 */
export function arbitraryFromSchema<TSchema extends z.ZodType>(
  schema: TSchema,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<z.input<TSchema>> {
  const walk: Walk = {
    maxLength: options.maxLength ?? 4,
    maxStringLength: options.maxStringLength ?? 10,
    maxDepth: options.maxDepth ?? 3,
    overrides: options.overrides,
  };
  const arb = walkSchema(schema as unknown as AnySchema, '', 0, walk);
  if (arb === null) {
    const type = (schema as unknown as AnySchema)._zod.def.type;
    throw new SchemaArbitraryError(
      '',
      type,
      `recursion deeper than maxDepth ${walk.maxDepth} has no base case`,
    );
  }
  return arb as fc.Arbitrary<z.input<TSchema>>;
}

/** The arbitrary of valid spec inputs of a resource definition. */
export function specArbitrary<TDef extends AnyResourceDefinition>(
  definition: TDef,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<SpecInputOf<TDef>> {
  return arbitraryFromSchema(definition.spec, options) as fc.Arbitrary<SpecInputOf<TDef>>;
}

/** Returns `null` when the schema has no value within the depth budget (a lazy cycle's base case is needed). */
function walkSchema(schema: AnySchema, path: string, depth: number, w: Walk): fc.Arbitrary<unknown> | null {
  const override = w.overrides?.get(schema);
  if (override !== undefined) return override;
  const def = schema._zod.def;
  const fail = (detail: string): never => {
    throw new SchemaArbitraryError(path, def.type, detail);
  };
  const inner = (key: string, at = path) => walkSchema(def[key] as AnySchema, at, depth, w);
  const hasCustom = checksOf(schema).some((c) => c.check === 'custom');
  const refined = (arb: fc.Arbitrary<unknown> | null) =>
    arb === null ? null : hasCustom ? validated(schema, arb) : arb;

  switch (def.type) {
    case 'string':
      return refined(stringArbitrary(schema, checksOf(schema), w.maxStringLength, path));
    case 'number':
      return refined(numberArbitrary(checksOf(schema), path));
    case 'bigint':
      return refined(bigintArbitrary(checksOf(schema)));
    case 'boolean':
      return refined(fc.boolean());
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
      return fc.constant(undefined);
    case 'nan':
      return fc.constant(Number.NaN);
    case 'any':
    case 'unknown':
      return refined(fc.jsonValue({ maxDepth: 2, noUnicodeString: true }).map(positiveZero));
    case 'date':
      return refined(dateArbitrary(checksOf(schema)));
    case 'enum':
    case 'literal': {
      const values = [...(schema._zod.values ?? [])];
      if (values.length === 0) return fail('no values');
      return fc.constantFrom(...values);
    }
    case 'template_literal': {
      const pattern = schema._zod.pattern;
      if (pattern === undefined) return fail('no pattern');
      return validated(schema, fc.stringMatching(pattern));
    }
    case 'array': {
      const element = inner('element', `${path}[]`);
      const { min, max } = lengthBounds(checksOf(schema), w.maxLength);
      if (element === null) return min === 0 ? fc.constant([]) : null;
      return refined(fc.array(element, { minLength: min, maxLength: max }));
    }
    case 'set': {
      const element = inner('valueType', `${path}[]`);
      const { min, max } = lengthBounds(checksOf(schema), w.maxLength);
      if (element === null) return min === 0 ? fc.constant(new Set()) : null;
      return refined(
        fc.uniqueArray(element, { minLength: min, maxLength: max }).map((items) => new Set(items)),
      );
    }
    case 'map': {
      const key = inner('keyType', `${path}{key}`);
      const value = inner('valueType', `${path}{}`);
      if (key === null || value === null) return fc.constant(new Map());
      return refined(
        fc
          .uniqueArray(fc.tuple(key, value), { maxLength: w.maxLength, selector: (e) => e[0] })
          .map((entries) => new Map(entries)),
      );
    }
    case 'tuple': {
      const items = (def.items as AnySchema[]).map((item, i) => walkSchema(item, `${path}[${i}]`, depth, w));
      if (items.some((i) => i === null)) return null;
      const fixed = fc.tuple(...(items as fc.Arbitrary<unknown>[]));
      if (def.rest === null || def.rest === undefined) return refined(fixed);
      const rest = inner('rest', `${path}[...]`);
      if (rest === null) return refined(fixed);
      return refined(
        fc.tuple(fixed, fc.array(rest, { maxLength: w.maxLength })).map(([a, b]) => [...a, ...b]),
      );
    }
    case 'object': {
      const shape = def.shape as Record<string, AnySchema>;
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [key, child] of Object.entries(shape)) {
        const optional = child._zod.optin !== undefined;
        const arb = walkSchema(child, path ? `${path}.${key}` : key, depth, w);
        if (arb === null) {
          if (optional) continue;
          return null;
        }
        model[key] = arb;
        if (!optional) required.push(key);
      }
      return refined(fc.record(model, { requiredKeys: required, noNullPrototype: true }));
    }
    case 'record':
      return refined(recordArbitrary(def, path, depth, w));
    case 'union': {
      const options = (def.options as AnySchema[])
        .map((o, i) => walkSchema(o, `${path}|${i}`, depth, w))
        .filter((o): o is fc.Arbitrary<unknown> => o !== null);
      if (options.length === 0) return null;
      return refined(fc.oneof(...options));
    }
    case 'intersection': {
      const left = inner('left');
      const right = inner('right');
      if (left === null || right === null) return null;
      return validated(
        schema,
        fc.tuple(left, right).map(([a, b]) => mergeValues(a, b)),
      );
    }
    case 'optional': {
      const arb = inner('innerType');
      return arb === null ? fc.constant(undefined) : fc.option(arb, { nil: undefined, freq: 4 });
    }
    case 'nullable': {
      const arb = inner('innerType');
      return arb === null ? fc.constant(null) : fc.option(arb, { nil: null, freq: 4 });
    }
    case 'default':
    case 'prefault': {
      const arb = inner('innerType');
      return arb === null ? fc.constant(undefined) : fc.option(arb, { nil: undefined, freq: 4 });
    }
    case 'nonoptional': {
      const arb = inner('innerType');
      return arb === null ? null : arb.filter((v) => v !== undefined);
    }
    case 'readonly':
    case 'catch':
      return inner('innerType');
    case 'pipe': {
      const source = inner('in');
      return source === null ? null : validated(schema, source);
    }
    case 'lazy': {
      if (depth >= w.maxDepth) return null;
      const target = (def.getter as () => AnySchema)();
      return walkSchema(target, path, depth + 1, w);
    }
    default:
      return fail('no derivation for this schema kind; pass an arbitrary in `overrides`');
  }
}

function recordArbitrary(
  def: ZodInternals['def'],
  path: string,
  depth: number,
  w: Walk,
): fc.Arbitrary<unknown> | null {
  const keyType = def.keyType as AnySchema;
  const value = walkSchema(def.valueType as AnySchema, `${path}{}`, depth, w);
  const finite = keyType._zod.values;
  if (finite !== undefined && keyType._zod.def.type !== 'template_literal') {
    // Enum and literal keys: zod requires every key unless the record is partial.
    const keys = [...finite].map(String);
    if (value === null) return def.partial ? fc.constant({}) : null;
    const model = Object.fromEntries(keys.map((k) => [k, value]));
    return fc.record(model, { requiredKeys: def.partial ? [] : keys, noNullPrototype: true });
  }
  if (value === null) return fc.constant({});
  const key = walkSchema(keyType, `${path}{key}`, depth, w);
  if (key === null) return fc.constant({});
  return fc.dictionary(
    key.map((k) => String(k)),
    value,
    { maxKeys: w.maxLength, noNullPrototype: true },
  );
}

function lengthBounds(checks: readonly CheckDef[], defaultMax: number): { min: number; max: number } {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of checks) {
    if (c.check === 'min_length' || c.check === 'min_size') min = Math.max(min, c.minimum as number);
    else if (c.check === 'max_length' || c.check === 'max_size') max = Math.min(max, c.maximum as number);
    else if (c.check === 'length_equals' || c.check === 'size_equals') {
      min = Math.max(min, (c.length ?? c.size) as number);
      max = Math.min(max, (c.length ?? c.size) as number);
    }
  }
  return { min, max: Math.max(min, Math.min(max, Math.max(defaultMax, min))) };
}

function bigintArbitrary(checks: readonly CheckDef[]): fc.Arbitrary<bigint> {
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const c of checks) {
    if (c.check === 'greater_than') {
      const v = (c.value as bigint) + (c.inclusive ? 0n : 1n);
      min = min === undefined || v > min ? v : min;
    } else if (c.check === 'less_than') {
      const v = (c.value as bigint) - (c.inclusive ? 0n : 1n);
      max = max === undefined || v < max ? v : max;
    }
  }
  return fc.bigInt({ ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
}

function dateArbitrary(checks: readonly CheckDef[]): fc.Arbitrary<Date> {
  let min = new Date(Date.UTC(1970, 0, 1));
  let max = new Date(Date.UTC(2100, 0, 1));
  for (const c of checks) {
    if (c.check === 'greater_than' && (c.value as Date) > min) min = new Date(c.value as Date);
    if (c.check === 'less_than' && (c.value as Date) < max) max = new Date(c.value as Date);
  }
  return fc.date({ min, max, noInvalidDate: true });
}

/** `-0` does not survive JSON: specs hold `0`. */
function positiveZero<T>(value: T): T {
  return (Object.is(value, -0) ? 0 : value) as T;
}

function mergeValues(a: unknown, b: unknown): unknown {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    if (Array.isArray(a) || Array.isArray(b)) return b;
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>))
      out[k] = k in out ? mergeValues(out[k], v) : v;
    return out;
  }
  return b;
}
