import fc from 'fast-check';
import type { AnySchema, CheckDef } from './zod-internals.js';

const int32 = 0x7fffffff;

/** Formats with a dedicated fast-check arbitrary; the rest fall back to their pattern. */
const formatArbitraries: Record<string, () => fc.Arbitrary<string>> = {
  email: () => fc.emailAddress(),
  uuid: () => fc.uuid(),
  guid: () => fc.uuid(),
  url: () => fc.webUrl(),
  ipv4: () => fc.ipV4(),
  ipv6: () => fc.ipV6(),
  cidrv4: () => fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, n]) => `${ip}/${n}`),
  cidrv6: () => fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([ip, n]) => `${ip}/${n}`),
  datetime: () => isoDate().map((d) => d.toISOString()),
  date: () => isoDate().map((d) => d.toISOString().slice(0, 10)),
  time: () => isoDate().map((d) => d.toISOString().slice(11, 19)),
  base64: () => fc.base64String(),
  ulid: () => fc.ulid(),
};

/** Formats that constrain but do not generate: handled around a generated core. */
const shapingFormats = new Set(['starts_with', 'ends_with', 'includes', 'lowercase', 'uppercase']);

function isoDate(): fc.Arbitrary<Date> {
  return fc.date({
    min: new Date(Date.UTC(1970, 0, 1)),
    max: new Date(Date.UTC(2099, 11, 31)),
    noInvalidDate: true,
  });
}

/** Strings for a string schema: length checks, formats (known ones or their pattern), affixes and case. */
export function stringArbitrary(
  schema: AnySchema,
  checks: readonly CheckDef[],
  maxStringLength: number,
  path: string,
): fc.Arbitrary<string> {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  let prefix = '';
  let suffix = '';
  let includes = '';
  let upper = false;
  let lower = false;
  let generator: fc.Arbitrary<string> | undefined;
  let constrained = false;
  for (const c of checks) {
    switch (c.check) {
      case 'min_length':
        min = Math.max(min, c.minimum as number);
        break;
      case 'max_length':
        max = Math.min(max, c.maximum as number);
        break;
      case 'length_equals':
        min = Math.max(min, c.length as number);
        max = Math.min(max, c.length as number);
        break;
      case 'string_format': {
        const format = c.format as string;
        if (format === 'starts_with') prefix = c.prefix as string;
        else if (format === 'ends_with') suffix = c.suffix as string;
        else if (format === 'includes') includes = c.includes as string;
        else if (format === 'uppercase') upper = true;
        else if (format === 'lowercase') lower = true;
        if (shapingFormats.has(format)) break;
        constrained = true;
        if (generator !== undefined) break;
        const known = formatArbitraries[format];
        if (known !== undefined) generator = known();
        else if (c.pattern instanceof RegExp) generator = fc.stringMatching(c.pattern);
        else
          throw new Error(
            `arbitraryFromSchema: string format ${format} at ${path || '(root)'} has no pattern`,
          );
        break;
      }
      default:
        break;
    }
  }
  if (generator !== undefined) {
    // A generated format is checked as a whole: lengths and other formats filter it.
    return generator.filter((s) => schema.safeParse(s).success);
  }
  const fixed = prefix.length + suffix.length + includes.length;
  const coreMax = Math.max(0, Math.min(max, Math.max(maxStringLength, min)) - fixed);
  const coreMin = Math.min(coreMax, Math.max(0, min - fixed));
  let arb = fc.string({ minLength: coreMin, maxLength: coreMax });
  if (includes !== '')
    arb = arb.map((s) => `${s.slice(0, s.length >> 1)}${includes}${s.slice(s.length >> 1)}`);
  if (prefix !== '' || suffix !== '') arb = arb.map((s) => `${prefix}${s}${suffix}`);
  if (upper) arb = arb.map((s) => s.toUpperCase());
  if (lower) arb = arb.map((s) => s.toLowerCase());
  // Case folding can break an affix; affixes longer than max cannot fit: the schema decides.
  if (upper || lower || fixed > 0 || constrained) arb = arb.filter((s) => schema.safeParse(s).success);
  return arb;
}

/** Numbers for a number schema: integer formats, inclusive and exclusive bounds, `multipleOf`. */
export function numberArbitrary(checks: readonly CheckDef[], path: string): fc.Arbitrary<number> {
  let integer = false;
  let float32 = false;
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let loExcluded = false;
  let hiExcluded = false;
  let step: number | undefined;
  for (const c of checks) {
    if (c.check === 'number_format') {
      const format = c.format as string;
      if (format === 'safeint' || format === 'int32' || format === 'uint32') integer = true;
      if (format === 'float32') float32 = true;
      if (format === 'int32') ({ lo, hi } = narrow(lo, hi, -int32 - 1, int32));
      if (format === 'uint32') ({ lo, hi } = narrow(lo, hi, 0, 0xffffffff));
      if (format === 'safeint')
        ({ lo, hi } = narrow(lo, hi, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    } else if (c.check === 'greater_than') {
      const v = c.value as number;
      if (v > lo || (v === lo && !c.inclusive)) {
        lo = v;
        loExcluded = !c.inclusive;
      }
    } else if (c.check === 'less_than') {
      const v = c.value as number;
      if (v < hi || (v === hi && !c.inclusive)) {
        hi = v;
        hiExcluded = !c.inclusive;
      }
    } else if (c.check === 'multiple_of') {
      step = c.value as number;
    }
  }
  if (integer || (step !== undefined && Number.isInteger(step))) {
    let min = Number.isFinite(lo) ? (loExcluded ? Math.floor(lo) + 1 : Math.ceil(lo)) : -int32 - 1;
    let max = Number.isFinite(hi) ? (hiExcluded ? Math.ceil(hi) - 1 : Math.floor(hi)) : int32;
    if (!Number.isFinite(lo) && max < min) min = max - int32;
    if (!Number.isFinite(hi) && max < min) max = min + int32;
    if (step !== undefined) return multiples(min, max, step, path);
    if (min > max) throw new Error(`arbitraryFromSchema: no integer in the bounds at ${path || '(root)'}`);
    return fc.integer({ min, max });
  }
  if (step !== undefined) {
    const min = Number.isFinite(lo) ? lo : -1e6;
    const max = Number.isFinite(hi) ? hi : 1e6;
    return multiples(min, max, step, path).filter(
      (v) => (loExcluded ? v > lo : v >= lo) && (hiExcluded ? v < hi : v <= hi),
    );
  }
  const bounds = {
    noNaN: true,
    noDefaultInfinity: true,
    ...(Number.isFinite(lo) ? { min: lo, minExcluded: loExcluded } : {}),
    ...(Number.isFinite(hi) ? { max: hi, maxExcluded: hiExcluded } : {}),
  };
  const arb = float32
    ? fc.float({ ...bounds, min: Math.fround(bounds.min ?? -3.4e38), max: Math.fround(bounds.max ?? 3.4e38) })
    : fc.double(bounds);
  return arb.map((v) => (Object.is(v, -0) ? 0 : v));
}

function narrow(lo: number, hi: number, min: number, max: number): { lo: number; hi: number } {
  return { lo: Math.max(lo, min), hi: Math.min(hi, max) };
}

function multiples(min: number, max: number, step: number, path: string): fc.Arbitrary<number> {
  const kMin = Math.ceil(min / step);
  const kMax = Math.floor(max / step);
  if (kMin > kMax)
    throw new Error(`arbitraryFromSchema: no multiple of ${step} in the bounds at ${path || '(root)'}`);
  return fc
    .integer({ min: Math.max(kMin, Number.MIN_SAFE_INTEGER), max: Math.min(kMax, Number.MAX_SAFE_INTEGER) })
    .map((k) => {
      const v = k * step;
      return Object.is(v, -0) ? 0 : v;
    });
}
