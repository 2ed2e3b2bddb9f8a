import { ValidationError, type ValidationIssue } from '../../runtime/errors.js';
import { deepFreeze } from '../../runtime/resource/freeze.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { completeCreated, type StoredRevisions, writtenAt } from './generation-created.js';

/**
 * Resources are stored as the JSON of `{ metadata, spec }`. A spec that JSON cannot carry exactly
 * (a bigint, a Date, a Map, a function, NaN, ...) is refused at write time rather than stored changed.
 */

/** Throws `ValidationError` when a resource's spec is not plain JSON data. */
export function checkEncodable(resource: AnyResource): void {
  const issues: ValidationIssue[] = [];
  checkJson(resource.spec, ['spec'], issues);
  if (issues.length > 0) throw new ValidationError(resource.metadata, issues.slice(0, 10));
}

/** Encodes a planned resource (checked with {@link checkEncodable}). */
export function encodeResource(resource: AnyResource): Buffer {
  return Buffer.from(JSON.stringify({ metadata: resource.metadata, spec: resource.spec }));
}

/**
 * One change of an event record: `c`reated or `u`pdated with the stored resource, or `d`estroyed
 * with the id (its last value is known to the reader).
 */
export type RecordedChange = readonly ['c' | 'u', AnyResource] | readonly ['d', string];

/** Encodes the changes a transaction made to one kind, in op order. */
export function encodeRecord(changes: readonly RecordedChange[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      changes: changes.map((c) => (c[0] === 'd' ? c : [c[0], { metadata: c[1].metadata, spec: c[1].spec }])),
    }),
  );
}

/**
 * Decodes an event record into frozen resources; `revision` is the record's (its transaction's),
 * which wrote every value in it and created every resource it created.
 */
export function decodeRecord(
  value: Buffer | Uint8Array,
  key: Buffer | Uint8Array,
  revision: number,
): RecordedChange[] {
  const revisions = writtenAt(revision);
  let parsed: { changes?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    throw corrupt(key, 'not JSON', error);
  }
  if (!Array.isArray(parsed?.changes)) throw corrupt(key, 'not an event record');
  return parsed.changes.map((c: unknown): RecordedChange => {
    if (Array.isArray(c) && c[0] === 'd' && typeof c[1] === 'string') return ['d', c[1]];
    if (Array.isArray(c) && (c[0] === 'c' || c[0] === 'u'))
      return [c[0], checkResource(c[1], key, revisions)];
    throw corrupt(key, 'not an event record');
  });
}

/**
 * Decodes a stored value into a deeply frozen resource whose `created` carries its generation (from
 * the key's `revisions`; see `generation-created.ts`); a foreign or corrupt value is an error.
 */
export function decodeResource(
  value: Buffer | Uint8Array,
  key: Buffer | Uint8Array,
  revisions: StoredRevisions | undefined,
): AnyResource {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    throw corrupt(key, 'not JSON', error);
  }
  return checkResource(parsed, key, revisions);
}

function checkResource(
  parsed: unknown,
  key: Buffer | Uint8Array,
  revisions: StoredRevisions | undefined,
): AnyResource {
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
  if (revisions !== undefined && typeof metadata.created === 'string') {
    const created = completeCreated(metadata.created, revisions);
    // A first version was updated when it was created: both read the same.
    if (metadata.updated === metadata.created) metadata.updated = created;
    metadata.created = created;
  }
  return deepFreeze({ metadata, spec: (parsed as { spec: unknown }).spec }) as unknown as AnyResource;
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
