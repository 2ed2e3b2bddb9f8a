import {
  ConflictError,
  NotFoundError,
  OwnerConflictError,
  PhaseConflictError,
  ValidationError,
  type ValidationIssue,
} from '../errors.js';
import { validateSpec } from '../resource/define-resource.js';
import type { DefinitionLookup } from '../resource/definition-registry.js';
import { emptyAnnotations, emptyFinalizers, emptyLabels } from '../resource/empty.js';
import { deepFreeze } from '../resource/freeze.js';
import type { Metadata, Phase } from '../resource/metadata.js';
import type { Pointer } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';

/**
 * The checks and the stored value of each write, as pure functions over the current value, so that
 * single writes and transactions (and any backend) share them exactly.
 */

/** Validates the identity of a pointer-like value; throws `ValidationError`. */
export function checkPointer(pointer: { namespace?: unknown; type?: unknown; id?: unknown }): Pointer {
  const namespace = pointer?.namespace;
  const type = pointer?.type;
  const id = pointer?.id;
  if (
    typeof namespace === 'string' &&
    namespace !== '' &&
    typeof type === 'string' &&
    type !== '' &&
    typeof id === 'string' &&
    id !== ''
  ) {
    return pointer as Pointer;
  }
  const issues: ValidationIssue[] = [];
  for (const [key, v] of [
    ['namespace', namespace],
    ['type', type],
    ['id', id],
  ] as const) {
    if (typeof v !== 'string' || v === '')
      issues.push({ path: [key], message: 'must be a non-empty string' });
  }
  throw new ValidationError(
    { namespace: String(namespace ?? ''), type: String(type ?? ''), id: String(id ?? '') },
    issues,
  );
}

function checkStringRecord(
  value: unknown,
  path: 'labels' | 'annotations',
  issues: ValidationIssue[],
): Record<string, string> {
  const emptyRecord = path === 'labels' ? emptyLabels : emptyAnnotations;
  if (value === undefined || value === emptyLabels || value === emptyAnnotations) return emptyRecord;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path: ['metadata', path], message: 'must be a map of strings' });
    return emptyRecord;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') issues.push({ path: ['metadata', path, k], message: 'must be a string' });
  }
  return Object.isFrozen(value) ? (value as Record<string, string>) : Object.freeze({ ...value });
}

function checkFinalizers(value: unknown, issues: ValidationIssue[]): readonly string[] {
  if (value === undefined) return emptyFinalizers;
  if (!Array.isArray(value)) {
    issues.push({ path: ['metadata', 'finalizers'], message: 'must be a list of strings' });
    return emptyFinalizers;
  }
  let duplicates = false;
  for (let i = 0; i < value.length; i++) {
    const f = value[i];
    if (typeof f !== 'string' || f === '') {
      issues.push({ path: ['metadata', 'finalizers'], message: 'must be non-empty strings' });
      return emptyFinalizers;
    }
    // Finalizer lists are short: a scan beats allocating a Set on every write.
    if (!duplicates && value.length <= 16 && value.indexOf(f) !== i) duplicates = true;
  }
  if (value.length > 16) duplicates = new Set(value).size !== value.length;
  if (!duplicates && Object.isFrozen(value)) return value;
  return Object.freeze(duplicates ? [...new Set(value as string[])] : [...(value as string[])]);
}

/** Builds the metadata the store keeps, exactly the contract's fields, after checking their shapes. */
function storedMetadata(
  input: Partial<Metadata> | undefined,
  version: number,
  owner: string,
  created: string,
  updated: string,
  previous?: Metadata,
): Metadata {
  const pointer = checkPointer(input ?? {});
  const issues: ValidationIssue[] = [];
  const phase: Phase = input?.phase ?? 'running';
  if (phase !== 'running' && phase !== 'tearingDown') {
    issues.push({ path: ['metadata', 'phase'], message: 'must be running or tearingDown' });
  }
  // Values shared with the stored version were checked when they were stored.
  const labels =
    previous !== undefined && input?.labels === previous.labels
      ? previous.labels
      : checkStringRecord(input?.labels, 'labels', issues);
  const annotations =
    previous !== undefined && input?.annotations === previous.annotations
      ? previous.annotations
      : checkStringRecord(input?.annotations, 'annotations', issues);
  const finalizers =
    previous !== undefined && input?.finalizers === previous.finalizers
      ? previous.finalizers
      : checkFinalizers(input?.finalizers, issues);
  if (issues.length > 0) throw new ValidationError(pointer, issues);
  return Object.freeze({
    namespace: pointer.namespace,
    type: pointer.type,
    id: pointer.id,
    version,
    owner,
    phase,
    finalizers,
    labels,
    annotations,
    created,
    updated,
  });
}

function storedSpec(
  pointer: Pointer,
  spec: unknown,
  current: AnyResource | undefined,
  definitions: DefinitionLookup,
): unknown {
  if (current !== undefined && spec === current.spec) return spec;
  if (spec === undefined) {
    throw new ValidationError(pointer, [{ path: ['spec'], message: 'spec is required' }]);
  }
  const definition = definitions.lookup(pointer.type);
  if (definition !== undefined) return validateSpec(definition.spec, pointer, spec, false);
  return deepFreeze(Object.isFrozen(spec) ? spec : structuredClone(spec));
}

/** The resource a create stores, or the error it fails with; specs are validated with `definitions`. */
export function planCreate(
  current: AnyResource | undefined,
  input: AnyResource,
  owner: string,
  now: string,
  definitions: DefinitionLookup,
): AnyResource {
  const metadata = storedMetadata(input?.metadata, 1, owner, now, now);
  if (current !== undefined) throw new ConflictError(metadata, 'already exists');
  const spec = storedSpec(metadata, input.spec, undefined, definitions);
  return Object.freeze({ metadata, spec }) as AnyResource;
}

/** The resource an update stores, or the error it fails with (checks in the contract's order). */
export function planUpdate(
  current: AnyResource | undefined,
  input: AnyResource,
  owner: string,
  expectedPhase: Phase | 'any',
  now: string,
  definitions: DefinitionLookup,
  expectedCreated?: string,
): AnyResource {
  const pointer = checkPointer(input?.metadata ?? {});
  if (current === undefined) throw new NotFoundError(pointer);
  const stored = current.metadata;
  if (owner !== stored.owner) throw new OwnerConflictError(pointer, owner, stored.owner);
  if (input.metadata.version !== stored.version) {
    throw new ConflictError(
      pointer,
      `version conflict: expected version ${String(input.metadata.version)}, stored version ${stored.version}`,
    );
  }
  if (expectedCreated !== undefined && stored.created !== expectedCreated) {
    throw new ConflictError(pointer, 'generation conflict: the resource was destroyed and created again');
  }
  if (expectedPhase !== 'any' && stored.phase !== expectedPhase) {
    throw new PhaseConflictError(pointer, expectedPhase, stored.phase);
  }
  // Teardown is one way: whatever phase the caller accepts, a tearing-down resource stays so.
  if (stored.phase === 'tearingDown' && (input.metadata.phase ?? 'running') === 'running') {
    throw new PhaseConflictError(pointer, 'running', stored.phase);
  }
  const metadata = storedMetadata(
    input.metadata,
    stored.version + 1,
    stored.owner,
    stored.created,
    now,
    stored,
  );
  const spec = storedSpec(pointer, input.spec, current, definitions);
  return Object.freeze({ metadata, spec }) as AnyResource;
}

/** Checks a destroy; returns the resource that goes away. */
export function planDestroy(current: AnyResource | undefined, pointer: Pointer, owner: string): AnyResource {
  checkPointer(pointer);
  if (current === undefined) throw new NotFoundError(pointer);
  if (owner !== current.metadata.owner) throw new OwnerConflictError(pointer, owner, current.metadata.owner);
  if (current.metadata.finalizers.length > 0) {
    throw new ConflictError(pointer, `pending finalizers: ${current.metadata.finalizers.join(', ')}`);
  }
  return current;
}
