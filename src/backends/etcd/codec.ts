import { ValidationError, type ValidationIssue } from '../../runtime/errors.js';
import { deepFreeze } from '../../runtime/resource/freeze.js';
import type { Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';

/**
 * Resources are stored as the JSON of `{ metadata, spec }`, plus `i`, the incarnation of the key,
 * when it is not 0. A spec that JSON cannot carry exactly (a bigint, a Date, a Map, a function, NaN,
 * ...) is refused at write time rather than stored changed.
 *
 * The incarnation tells watchers a destroy and a create of one id collapsed into a single etcd put
 * (etcd cannot write a key twice in one transaction) from a plain update: it grows by one each time.
 */

const incarnations = new WeakMap<object, number>();

/** The incarnation a decoded resource was stored with (0 when none). */
export function incarnationOf(resource: AnyResource): number {
  return incarnations.get(resource) ?? 0;
}

/** Throws `ValidationError` when a resource's spec is not plain JSON data. */
export function checkEncodable(resource: AnyResource): void {
  const issues: ValidationIssue[] = [];
  checkJson(resource.spec, ['spec'], issues);
  if (issues.length > 0) throw new ValidationError(resource.metadata, issues.slice(0, 10));
}

/** Encodes a planned resource (checked with {@link checkEncodable}). */
export function encodeResource(resource: AnyResource, incarnation: number): Buffer {
  const value: { metadata: unknown; spec: unknown; i?: number } = {
    metadata: resource.metadata,
    spec: resource.spec,
  };
  if (incarnation !== 0) value.i = incarnation;
  return Buffer.from(JSON.stringify(value));
}

/** Decodes a stored value into a deeply frozen resource; a foreign or corrupt value is an error. */
export function decodeResource(value: Buffer | Uint8Array, key: Buffer | Uint8Array): AnyResource {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    throw corrupt(key, 'not JSON', error);
  }
  const metadata = (parsed as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    typeof metadata.namespace !== 'string' ||
    typeof metadata.type !== 'string' ||
    typeof metadata.id !== 'string' ||
    typeof metadata.version !== 'number' ||
    !Array.isArray(metadata.finalizers) ||
    !('spec' in (parsed as object))
  ) {
    throw corrupt(key, 'not a converge resource');
  }
  const { spec, i } = parsed as { spec: unknown; i?: unknown };
  const resource = deepFreeze({ metadata, spec }) as unknown as AnyResource;
  if (typeof i === 'number' && i !== 0) incarnations.set(resource, i);
  return resource;
}

/** A pointer's identity from a decoded value (for tombstones). */
export function pointerOfResource(resource: AnyResource): Pointer {
  const { namespace, type, id } = resource.metadata;
  return { namespace, type, id };
}

function corrupt(key: Buffer | Uint8Array, what: string, cause?: unknown): Error {
  return new Error(
    `etcd state: the value at key ${JSON.stringify(Buffer.from(key).toString('utf8'))} is ${what}`,
    cause === undefined ? undefined : { cause },
  );
}

function checkJson(value: unknown, path: PropertyKey[], issues: ValidationIssue[]): void {
  if (issues.length >= 10) return;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        issues.push({ path, message: 'must be a finite number to be stored in etcd' });
      return;
    case 'undefined':
      // JSON drops undefined object properties, which reads back the same as absent.
      if (path.length > 0 && typeof path[path.length - 1] === 'number') {
        issues.push({ path, message: 'undefined array items cannot be stored in etcd' });
      }
      return;
    case 'object': {
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkJson(value[i], [...path, i], issues);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? 'object';
        issues.push({ path, message: `a ${name} cannot be stored in etcd (plain JSON data only)` });
        return;
      }
      for (const key of Object.keys(value)) {
        checkJson((value as Record<string, unknown>)[key], [...path, key], issues);
      }
      return;
    }
    default:
      issues.push({ path, message: `a ${typeof value} cannot be stored in etcd (plain JSON data only)` });
  }
}
