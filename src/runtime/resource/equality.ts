import type { Metadata } from './metadata.js';

/** Deep structural equality of JSON-like values (plain objects, arrays, primitives). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Equality of two string lists taken as sets. */
export function sameStringSet(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

/** Metadata equality as COSI defines it: finalizers as a set, timestamps ignored. */
function equalMetadata(a: Metadata, b: Metadata): boolean {
  return (
    a === b ||
    (a.namespace === b.namespace &&
      a.type === b.type &&
      a.id === b.id &&
      a.version === b.version &&
      a.owner === b.owner &&
      a.phase === b.phase &&
      sameStringSet(a.finalizers, b.finalizers) &&
      deepEqual(a.labels, b.labels) &&
      deepEqual(a.annotations, b.annotations))
  );
}

/** Equality of two resources: metadata (finalizers as a set, timestamps ignored) and spec. */
export function equalResources(
  a: { metadata: Metadata; spec: unknown },
  b: { metadata: Metadata; spec: unknown },
): boolean {
  return a === b || (equalMetadata(a.metadata, b.metadata) && deepEqual(a.spec, b.spec));
}
