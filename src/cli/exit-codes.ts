import { hintOf, isApiError } from '../api/api-error.js';
import {
  isAccessError,
  isConflictError,
  isInvalidBookmarkError,
  isNotFoundError,
  isOverrunError,
  isValidationError,
  RuntimeError,
} from '../runtime/errors.js';

/** The exit codes of `converge`, stable for scripts. */
export const exitCodes = {
  ok: 0,
  /** Anything unexpected. */
  failure: 1,
  /** Bad flags or arguments, or a missing or unreadable configuration. */
  usage: 2,
  /** The resource or the type does not exist. */
  notFound: 3,
  /** A write lost a race: the resource exists, its version moved, another owner, finalizers pending. */
  conflict: 4,
  /** The input is invalid: a manifest, a spec, a field. */
  invalid: 5,
  /** The certificate was refused, or its role does not allow the call. */
  denied: 6,
  /** The endpoint cannot be reached. */
  unavailable: 7,
} as const;

/** An error the CLI raises itself, with the exit code it ends with. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

const tlsCodes = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|EPROTO$)/;

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : '';
}

/** The exit code an error ends the CLI with. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (isValidationError(error)) return exitCodes.invalid;
  if (isNotFoundError(error)) return exitCodes.notFound;
  if (isConflictError(error)) return exitCodes.conflict;
  if (isAccessError(error)) return exitCodes.denied;
  if (isInvalidBookmarkError(error) || isOverrunError(error)) return exitCodes.failure;
  if (error instanceof RuntimeError) return exitCodes.failure;
  if (isApiError(error)) {
    if (error.code === 'CertificateRefused') return exitCodes.denied;
    if (error.status === 0) return tlsCodes.test(causeCode(error)) ? exitCodes.denied : exitCodes.unavailable;
    if (error.status === 401 || error.status === 403) return exitCodes.denied;
    if (error.status === 404) return exitCodes.notFound;
    if (error.status === 409) return exitCodes.conflict;
    if (error.status >= 400 && error.status < 500) return exitCodes.invalid;
    return exitCodes.failure;
  }
  return exitCodes.failure;
}

/** One line saying what went wrong (TLS refusals named as such). */
export function describeError(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  if (isApiError(error) && error.status === 0 && tlsCodes.test(causeCode(error))) {
    message = `TLS refused: ${message}`;
  }
  const hint = hintOf(error);
  return `${message.replace(/\s*\n\s*/g, ' ')}${hint === undefined ? '' : ` (${hint})`}`;
}

/** True for {@link CliError}. */
export const isCliError = (e: unknown): e is CliError => e instanceof CliError;

/** True when an error is the API being out of reach (a dropped connection, a server restarting). */
export function isUnreachable(error: unknown): boolean {
  if (!isApiError(error)) return false;
  if (error.status === 0) return !tlsCodes.test(causeCode(error)) || error.code === 'Unavailable';
  return error.status === 502 || error.status === 503 || error.status === 504;
}
