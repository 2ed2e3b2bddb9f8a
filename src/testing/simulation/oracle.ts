import fastJsonPatch from 'fast-json-patch';
import { deepEqual } from '../../runtime/resource/equality.js';
import { formatPointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';

/** How a resource differs from the expectation. */
export interface Difference {
  /** `type(namespace/id)`. */
  readonly pointer: string;
  /** Missing from the store, in the store but not expected, or present with other content. */
  readonly kind: 'missing' | 'unexpected' | 'differs';
  /** What differs, in words and RFC 6902 operations from the expected to the actual resource. */
  readonly detail: string;
}

/** Options of {@link compareResources}. */
export interface CompareOptions {
  /** Metadata fields compared besides the spec (default `['phase']`). */
  metadata?: readonly ('phase' | 'labels' | 'annotations' | 'finalizers' | 'owner')[];
}

const short = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

function comparable(r: AnyResource, fields: readonly string[]): { metadata: object; spec: unknown } {
  const metadata: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (r.metadata as unknown as Record<string, unknown>)[f];
    metadata[f] = f === 'finalizers' ? [...(v as string[])].sort() : v;
  }
  return { metadata, spec: r.spec };
}

/**
 * Compares what the store holds with what is expected, by pointer: the spec and the chosen metadata
 * fields. Returns one {@link Difference} per resource that is missing, unexpected or different, sorted.
 */
export function compareResources(
  actual: readonly AnyResource[],
  expected: readonly AnyResource[],
  options: CompareOptions = {},
): Difference[] {
  const fields = options.metadata ?? ['phase'];
  const have = new Map(actual.map((r) => [formatPointer(r.metadata), r]));
  const want = new Map(expected.map((r) => [formatPointer(r.metadata), r]));
  const out: Difference[] = [];
  for (const [pointer, e] of want) {
    const a = have.get(pointer);
    if (a === undefined) {
      out.push({ pointer, kind: 'missing', detail: `expected spec ${short(e.spec)}, not in the store` });
      continue;
    }
    const ca = comparable(a, fields);
    const ce = comparable(e, fields);
    if (deepEqual(ca, ce)) continue;
    const ops = fastJsonPatch.compare(ce as object, ca as object);
    const detail = ops
      .map((op) => {
        const before = fastJsonPatch.getValueByPointer(ce, op.path) as unknown;
        if (op.op === 'remove') return `${op.path}: expected ${short(before)}, absent`;
        const value = short((op as { value?: unknown }).value);
        return op.op === 'add'
          ? `${op.path}: unexpected ${value}`
          : `${op.path}: expected ${short(before)}, got ${value}`;
      })
      .join('; ');
    out.push({ pointer, kind: 'differs', detail });
  }
  for (const [pointer, a] of have) {
    if (!want.has(pointer)) {
      out.push({
        pointer,
        kind: 'unexpected',
        detail: `not expected, in the store (owner ${a.metadata.owner || "''"}, phase ${a.metadata.phase}, spec ${short(a.spec)})`,
      });
    }
  }
  return out.sort((x, y) => (x.pointer < y.pointer ? -1 : x.pointer > y.pointer ? 1 : 0));
}
