import { formatPointer } from './resource/pointer.js';

/** The discriminant of every error the engine throws. */
export type RuntimeErrorCode =
  | 'NotFound'
  | 'Conflict'
  | 'OwnerConflict'
  | 'PhaseConflict'
  | 'Validation'
  | 'InvalidBookmark'
  | 'Overrun'
  | 'Unsupported'
  | 'Access';

/** What an error is about: a resource pointer, or a whole kind (id absent). */
export interface ErrorSubject {
  readonly namespace: string;
  readonly type: string;
  readonly id?: string;
}

/** Base class of the engine's errors: a string `code` and the offending `pointer`. */
export abstract class RuntimeError extends Error {
  abstract readonly code: RuntimeErrorCode;
  readonly pointer: ErrorSubject;

  constructor(pointer: ErrorSubject, message: string, options?: ErrorOptions) {
    super(message, options);
    this.pointer = pointer;
  }
}

/** The resource does not exist. */
export class NotFoundError extends RuntimeError {
  override readonly code = 'NotFound' as const;
  constructor(pointer: ErrorSubject, options?: ErrorOptions) {
    super(pointer, `resource ${formatPointer(pointer)} not found`, options);
    this.name = 'NotFoundError';
  }
}

/** A write lost a race: the id exists, the version is stale, or finalizers are pending. */
export class ConflictError extends RuntimeError {
  override readonly code: 'Conflict' | 'OwnerConflict' | 'PhaseConflict' = 'Conflict';
  constructor(pointer: ErrorSubject, reason: string, options?: ErrorOptions) {
    super(pointer, `resource ${formatPointer(pointer)}: ${reason}`, options);
    this.name = 'ConflictError';
  }
}

/** The caller's owner differs from the stored owner. */
export class OwnerConflictError extends ConflictError {
  override readonly code = 'OwnerConflict' as const;
  constructor(pointer: ErrorSubject, expected: string, actual: string, options?: ErrorOptions) {
    super(
      pointer,
      `owner conflict: expected owner ${quote(expected)}, stored owner ${quote(actual)}`,
      options,
    );
    this.name = 'OwnerConflictError';
  }
}

/** The stored phase differs from the phase the caller expected. */
export class PhaseConflictError extends ConflictError {
  override readonly code = 'PhaseConflict' as const;
  constructor(pointer: ErrorSubject, expected: string, actual: string, options?: ErrorOptions) {
    super(pointer, `phase conflict: expected phase ${expected}, stored phase ${actual}`, options);
    this.name = 'PhaseConflictError';
  }
}

/** One problem found by validation: where (`path`) and what (`message`), as zod reports it. */
export interface ValidationIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
}

/** A spec or metadata failed validation; nothing was stored. `issues` carries the zod issues. */
export class ValidationError extends RuntimeError {
  override readonly code = 'Validation' as const;
  readonly issues: readonly ValidationIssue[];
  constructor(pointer: ErrorSubject, issues: readonly ValidationIssue[], options?: ErrorOptions) {
    super(pointer, `resource ${formatPointer(pointer)} is invalid: ${formatIssues(issues)}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** A watch bookmark is malformed, from another store, or older than the retained history. */
export class InvalidBookmarkError extends RuntimeError {
  override readonly code = 'InvalidBookmark' as const;
  constructor(pointer: ErrorSubject, reason: string, options?: ErrorOptions) {
    super(pointer, `invalid bookmark for ${formatPointer(pointer)}: ${reason}`, options);
    this.name = 'InvalidBookmarkError';
  }
}

/** A watcher fell further behind than the retained history. */
export class OverrunError extends RuntimeError {
  override readonly code = 'Overrun' as const;
  constructor(pointer: ErrorSubject, detail: string, options?: ErrorOptions) {
    super(
      pointer,
      `buffer overrun: namespace ${quote(pointer.namespace)} type ${quote(pointer.type)}, ${detail}`,
      options,
    );
    this.name = 'OverrunError';
  }
}

/** The backend does not offer a feature (for example tail events). */
export class UnsupportedError extends RuntimeError {
  override readonly code = 'Unsupported' as const;
  constructor(pointer: ErrorSubject, feature: string, options?: ErrorOptions) {
    super(pointer, `${feature} is not supported for ${formatPointer(pointer)}`, options);
    this.name = 'UnsupportedError';
  }
}

/** A controller touched a resource it did not declare as an input or output. */
export class AccessError extends RuntimeError {
  override readonly code = 'Access' as const;
  constructor(pointer: ErrorSubject, reason: string, options?: ErrorOptions) {
    super(pointer, `access denied to ${formatPointer(pointer)}: ${reason}`, options);
    this.name = 'AccessError';
  }
}

/** True for {@link NotFoundError}. */
export const isNotFoundError = (e: unknown): e is NotFoundError => e instanceof NotFoundError;
/**
 * What `read` resolves to, or `undefined` when it fails with {@link NotFoundError}; any other error
 * is thrown as is. `await undefinedIfNotFound(ctx.get(pointer))` reads a resource that may be absent.
 */
export async function undefinedIfNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}
/** True for {@link ConflictError} and its two refinements (owner and phase conflicts). */
export const isConflictError = (e: unknown): e is ConflictError => e instanceof ConflictError;
/** True for {@link OwnerConflictError}. */
export const isOwnerConflictError = (e: unknown): e is OwnerConflictError => e instanceof OwnerConflictError;
/** True for {@link PhaseConflictError}. */
export const isPhaseConflictError = (e: unknown): e is PhaseConflictError => e instanceof PhaseConflictError;
/** True for {@link ValidationError}. */
export const isValidationError = (e: unknown): e is ValidationError => e instanceof ValidationError;
/** True for {@link InvalidBookmarkError}. */
export const isInvalidBookmarkError = (e: unknown): e is InvalidBookmarkError =>
  e instanceof InvalidBookmarkError;
/** True for {@link OverrunError}. */
export const isOverrunError = (e: unknown): e is OverrunError => e instanceof OverrunError;
/** True for {@link UnsupportedError}. */
export const isUnsupportedError = (e: unknown): e is UnsupportedError => e instanceof UnsupportedError;
/** True for {@link AccessError}. */
export const isAccessError = (e: unknown): e is AccessError => e instanceof AccessError;

function quote(s: string): string {
  return JSON.stringify(s);
}

function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
