import {
  AccessError,
  ConflictError,
  type ErrorSubject,
  InvalidBookmarkError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
  RuntimeError,
  UnsupportedError,
  ValidationError,
  type ValidationIssue,
} from '../runtime/errors.js';

/** The codes of API errors that are not engine errors (they have no pointer). */
export type ApiErrorCode =
  | 'BadRequest'
  | 'MalformedBody'
  | 'UnknownType'
  | 'Forbidden'
  | 'RouteNotFound'
  | 'MethodNotAllowed'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyWatches'
  | 'HeadersTooLarge'
  | 'Unauthenticated'
  | 'Unavailable'
  | 'CertificateRefused'
  | 'BadResponse'
  | 'Internal';

/** An error of the API itself (refused by role, malformed request, limits), with its HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode | string;
  readonly issues: readonly ValidationIssue[] | undefined;
  constructor(
    status: number,
    code: ApiErrorCode | string,
    message: string,
    issues?: readonly ValidationIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** True for {@link ApiError}. */
export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

/** An error as the API writes it: `{ error: WireError }` in bodies and watch streams. */
export interface WireError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly pointer?: ErrorSubject;
  readonly issues?: readonly ValidationIssue[];
  /** How many issues were left out of `issues` (error answers carry only the first ones). */
  readonly issuesOmitted?: number;
  /** What the caller can do about it, when the server knows (e.g. who owns a resource). */
  readonly hint?: string;
}

const hints = new WeakMap<object, string>();

/** Attaches a hint to an error; the answer carries it next to the store's own message. */
export function withHint<T extends object>(error: T, hint: string): T {
  hints.set(error, hint);
  return error;
}

/** At most this many issues, and this many characters of message, go into an error answer. */
const maxWireIssues = 20;
const maxWireMessage = 2_000;
const maxIssueMessage = 500;
const maxIssuePath = 32;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * The issues of an error as an answer carries them: the first {@link maxWireIssues}, each clipped,
 * and the count of the rest, so a request with 90,000 bad labels cannot make a 17 MB answer.
 */
function wireIssues(issues: readonly ValidationIssue[]): Pick<WireError, 'issues' | 'issuesOmitted'> {
  const kept = issues.slice(0, maxWireIssues).map(plainIssue);
  return issues.length > maxWireIssues
    ? { issues: kept, issuesOmitted: issues.length - maxWireIssues }
    : { issues: kept };
}

/** The message of an error, clipped, saying how many issues there are when some were left out. */
function wireMessage(message: string, issues: readonly ValidationIssue[] | undefined): string {
  if (message.length <= maxWireMessage) return message;
  const count = issues !== undefined && issues.length > 0 ? ` (${issues.length} issues in all)` : '';
  return `${message.slice(0, maxWireMessage)}…${count}`;
}

const statusOfCode: Record<string, number> = {
  NotFound: 404,
  Conflict: 409,
  OwnerConflict: 409,
  PhaseConflict: 409,
  Validation: 400,
  InvalidBookmark: 410,
  Overrun: 410,
  Unsupported: 501,
  Access: 403,
};

/**
 * Maps any error to what the API answers: engine errors keep their code and pointer, API errors
 * their status; anything else is a 500 whose message reveals nothing.
 */
export function errorToWire(error: unknown): WireError {
  if (error instanceof RuntimeError) {
    const wire: WireError = {
      status: statusOfCode[error.code] ?? 500,
      code: error.code,
      message: wireMessage(error.message, error instanceof ValidationError ? error.issues : undefined),
      pointer: subjectOf(error.pointer),
      ...(error instanceof ValidationError ? wireIssues(error.issues) : {}),
      ...(hints.has(error) ? { hint: hints.get(error)! } : {}),
    };
    return wire;
  }
  if (error instanceof ApiError) {
    return {
      status: error.status,
      code: error.code,
      message: wireMessage(error.message, error.issues),
      ...(error.issues ? wireIssues(error.issues) : {}),
    };
  }
  return { status: 500, code: 'Internal', message: 'internal server error' };
}

/** Just the identity of an error's subject (some stores attach whole metadata). */
function subjectOf(p: ErrorSubject): ErrorSubject {
  return p.id === undefined
    ? { namespace: p.namespace, type: p.type }
    : { namespace: p.namespace, type: p.type, id: p.id };
}

function plainIssue(issue: ValidationIssue): ValidationIssue {
  return {
    path: issue.path
      .slice(0, maxIssuePath)
      .map((p) => (typeof p === 'symbol' ? String(p) : typeof p === 'string' ? clip(p, maxIssueMessage) : p)),
    message: clip(issue.message, maxIssueMessage),
    ...(issue.code !== undefined ? { code: issue.code } : {}),
  };
}

/** Turns a wire error back into the engine's error class (or an {@link ApiError}), keeping the server's message. */
export function errorFromWire(wire: WireError): Error {
  const pointer: ErrorSubject = wire.pointer ?? { namespace: '', type: '' };
  let error: Error;
  switch (wire.code) {
    case 'NotFound':
      error = new NotFoundError(pointer);
      break;
    case 'Conflict':
      error = new ConflictError(pointer, wire.message);
      break;
    case 'OwnerConflict':
      error = new OwnerConflictError(pointer, '', '');
      break;
    case 'PhaseConflict':
      error = new PhaseConflictError(pointer, '', '');
      break;
    case 'Validation':
      error = new ValidationError(pointer, wire.issues ?? []);
      break;
    case 'InvalidBookmark':
      error = new InvalidBookmarkError(pointer, wire.message);
      break;
    case 'Overrun':
      error = new OverrunError(pointer, wire.message);
      break;
    case 'Unsupported':
      error = new UnsupportedError(pointer, wire.message);
      break;
    case 'Access':
      error = new AccessError(pointer, wire.message);
      break;
    default:
      return new ApiError(wire.status, wire.code, wire.message, wire.issues);
  }
  error.message = wire.message;
  if (typeof wire.hint === 'string') withHint(error, wire.hint);
  return error;
}

/** The hint an answer carried with an error (who owns a resource, what to do instead), if any. */
export function hintOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? hints.get(error) : undefined;
}

/** True when a value looks like `{ error: WireError }`. */
export function isWireErrorBody(value: unknown): value is { error: WireError } {
  if (typeof value !== 'object' || value === null) return false;
  const e = (value as { error?: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as WireError).code === 'string' &&
    typeof (e as WireError).message === 'string'
  );
}
