/**
 * The errors every platform throws: one class with an errno-like `code`, as the kernel reports it,
 * so controllers branch on the code and never on a message or on which platform they run.
 */

/**
 * What went wrong, named after the errno the Linux kernel returns for it.
 *
 * - `EEXIST`: the link, address or route is already there.
 * - `ENOENT`: a file or a named thing (a DHCP client, a state file) is absent.
 * - `ENODEV`: the link named does not exist.
 * - `ESRCH`: the route to remove does not exist (the kernel's "No such process").
 * - `EADDRNOTAVAIL`: the address to remove is not on that link.
 * - `ENETUNREACH`: a route's gateway is not reachable through any connected prefix.
 * - `ENETDOWN`: the route's link is administratively down.
 * - `EBUSY`: the resource is in use (a link enslaved, a client already running).
 * - `EINVAL`: the request itself is malformed (a bad CIDR, a missing kind); nothing changed.
 * - `EOPNOTSUPP`: this platform cannot do that (deleting a physical link, DHCP on Linux).
 * - `EPERM`: the platform lacks the privilege (not root, no namespace access).
 * - `ETIMEDOUT`: a call to the outside world did not answer in time.
 * - `ENOSPC`: no space left where the platform writes.
 * - `ESHUTDOWN`: the platform was closed.
 * - `EIO`: any other failure of the outside world; the message carries what it said.
 */
export type PlatformErrorCode =
  | 'EEXIST'
  | 'ENOENT'
  | 'ENODEV'
  | 'ESRCH'
  | 'EADDRNOTAVAIL'
  | 'ENETUNREACH'
  | 'ENETDOWN'
  | 'EBUSY'
  | 'EINVAL'
  | 'EOPNOTSUPP'
  | 'EPERM'
  | 'ETIMEDOUT'
  | 'ENOSPC'
  | 'ESHUTDOWN'
  | 'EIO';

/** Where a {@link PlatformError} came from: the platform operation and, when known, its subject. */
export interface PlatformErrorOptions extends ErrorOptions {
  /** The operation that failed, e.g. `addAddress`. */
  readonly op?: string;
  /** What it acted on, e.g. `eth0` or `eth0 10.0.0.5/24`. */
  readonly subject?: string;
}

/** An operation of the platform failed; `code` says why, as the kernel would. */
export class PlatformError extends Error {
  /** The errno-like reason. */
  readonly code: PlatformErrorCode;
  /** The operation that failed, or `''`. */
  readonly op: string;
  /** What it acted on, or `''`. */
  readonly subject: string;

  constructor(code: PlatformErrorCode, message: string, options: PlatformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlatformError';
    this.code = code;
    this.op = options.op ?? '';
    this.subject = options.subject ?? '';
  }
}

/**
 * True when `error` is a {@link PlatformError}, and, when `codes` are given, has one of them.
 *
 * @example
 * ```ts
 * try { await platform.network.addAddress(a); } catch (e) { if (!isPlatformError(e, 'EEXIST')) throw e; }
 * ```
 */
export function isPlatformError(error: unknown, ...codes: PlatformErrorCode[]): error is PlatformError {
  return error instanceof PlatformError && (codes.length === 0 || codes.includes(error.code));
}
