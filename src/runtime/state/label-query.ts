/** The operators of a label term (COSI's label query operators). */
export type LabelOp = 'exists' | 'equal' | 'in' | 'lt' | 'lte' | 'ltNumeric' | 'lteNumeric';

/** One condition on a label. */
export interface LabelTerm {
  readonly key: string;
  readonly op: LabelOp;
  readonly value?: readonly string[];
  readonly invert?: boolean;
}

/** Terms that must all hold (AND). */
export type LabelQuery = readonly LabelTerm[];

/** Options every label builder takes last. */
export interface LabelTermOptions {
  invert?: boolean;
}

function term(key: string, op: LabelOp, value: readonly string[] | undefined, options?: LabelTermOptions) {
  const t: { key: string; op: LabelOp; value?: readonly string[]; invert?: boolean } = { key, op };
  if (value !== undefined) t.value = Object.freeze([...value]);
  if (options?.invert) t.invert = true;
  return Object.freeze(t) as LabelTerm;
}

/** Builders of label terms: `label.equal('app', 'web')`, each taking `{ invert: true }` last. */
export const label = {
  /** The key is present. */
  exists: (key: string, options?: LabelTermOptions) => term(key, 'exists', undefined, options),
  /** The value equals `value`. */
  equal: (key: string, value: string, options?: LabelTermOptions) => term(key, 'equal', [value], options),
  /** The value is one of `values`. */
  in: (key: string, values: readonly string[], options?: LabelTermOptions) =>
    term(key, 'in', values, options),
  /** The value is less than `value` as a string. */
  lt: (key: string, value: string, options?: LabelTermOptions) => term(key, 'lt', [value], options),
  /** The value is less than or equal to `value` as a string. */
  lte: (key: string, value: string, options?: LabelTermOptions) => term(key, 'lte', [value], options),
  /** The value is less than `value` as a number with units (`Ki`, `Mi`, … and `k`, `m`, …). */
  ltNumeric: (key: string, value: string, options?: LabelTermOptions) =>
    term(key, 'ltNumeric', [value], options),
  /** The value is less than or equal to `value` as a number with units. */
  lteNumeric: (key: string, value: string, options?: LabelTermOptions) =>
    term(key, 'lteNumeric', [value], options),
} as const;

const binaryUnits: Record<string, number> = {
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40,
  pi: 2 ** 50,
};
const decimalUnits: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/**
 * Parses a label value as a number: a leading run of digits and `-`, then an optional unit
 * (`Ki Mi Gi Ti Pi` = powers of 1024, `k m g t p` = powers of 1000, case-insensitive, spaces allowed);
 * anything after the unit is ignored. Returns `undefined` when it does not parse.
 */
export function parseLabelNumber(raw: string): number | undefined {
  const text = raw.trim();
  const match = /^[-0-9]+/.exec(text);
  if (match === null) return undefined;
  const digits = match[0];
  if (!/^-?[0-9]+$/.test(digits)) return undefined;
  const value = Number(digits);
  const rest = text.slice(digits.length).trim().toLowerCase();
  if (rest === '') return value;
  const binary = binaryUnits[rest.slice(0, 2)];
  if (binary !== undefined) return value * binary;
  const decimal = decimalUnits[rest.slice(0, 1)];
  if (decimal !== undefined) return value * decimal;
  return undefined;
}

/** Evaluates one term against labels, with COSI's truth table for missing keys and inversion. */
function matchesTerm(labels: Readonly<Record<string, string>>, t: LabelTerm): boolean {
  const present = Object.hasOwn(labels, t.key);
  const actual = present ? labels[t.key]! : undefined;
  const values = t.value ?? [];
  const invert = t.invert === true;
  switch (t.op) {
    case 'exists':
      return present !== invert;
    case 'equal':
    case 'in': {
      if (!present || values.length === 0) return invert;
      return values.includes(actual!) !== invert;
    }
    case 'lt':
    case 'lte': {
      // A comparison with nothing to compare is undefined: false, inverted or not.
      if (!present) return false;
      if (values.length === 0) return invert;
      const bound = values[0]!;
      const holds = t.op === 'lt' ? actual! < bound : actual! <= bound;
      return holds !== invert;
    }
    case 'ltNumeric':
    case 'lteNumeric': {
      if (!present) return false;
      if (values.length === 0) return invert;
      const left = parseLabelNumber(actual!);
      const right = parseLabelNumber(values[0]!);
      if (left === undefined || right === undefined) return false;
      const holds = t.op === 'ltNumeric' ? left < right : left <= right;
      return holds !== invert;
    }
  }
}

/** True when labels satisfy every term of the query (an empty query matches everything). */
export function matchesLabelQuery(labels: Readonly<Record<string, string>>, query: LabelQuery): boolean {
  for (const t of query) if (!matchesTerm(labels, t)) return false;
  return true;
}

/** Normalises `labelQuery` options: one query, or several ORed; `undefined` when it matches everything. */
export function normalizeLabelQueries(
  labelQuery: LabelQuery | readonly LabelQuery[] | undefined,
): readonly LabelQuery[] | undefined {
  if (labelQuery === undefined || labelQuery.length === 0) return undefined;
  const first = labelQuery[0];
  const queries = Array.isArray(first) ? (labelQuery as readonly LabelQuery[]) : [labelQuery as LabelQuery];
  return queries.some((q) => q.length === 0) ? undefined : queries;
}

/** True when labels satisfy at least one of the ORed queries. */
export function matchesAnyLabelQuery(
  labels: Readonly<Record<string, string>>,
  queries: readonly LabelQuery[],
): boolean {
  for (const q of queries) if (matchesLabelQuery(labels, q)) return true;
  return false;
}
