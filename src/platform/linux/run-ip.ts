/**
 * Runs iproute2's `ip` inside one network namespace: argument arrays (no shell), bounded output,
 * a timeout, and the kernel's complaints mapped to {@link PlatformError} codes.
 */
import { execFile } from 'node:child_process';
import { PlatformError, type PlatformErrorCode } from '../errors.js';

/** The install command named when `ip` is missing. */
export const iproute2Install = 'apt-get install -y iproute2';

/** iproute2's command, found on PATH. */
export const ipCommand = 'ip';

/** How long one `ip` call may take, and how much it may print. */
const timeoutMs = 10_000;
const maxBuffer = 32 * 1024 * 1024;

/** What iproute2 prints for each errno, most specific first. */
const messageCodes: ReadonlyArray<readonly [RegExp, PlatformErrorCode]> = [
  [/Cannot open network namespace/i, 'ENOENT'],
  [/File exists|already assigned/i, 'EEXIST'],
  [/Cannot find device|does not exist|No such device/i, 'ENODEV'],
  [/No such process/i, 'ESRCH'],
  [/Address not found|Cannot assign requested address/i, 'EADDRNOTAVAIL'],
  [/invalid gateway|Network is unreachable|Nexthop has invalid/i, 'ENETUNREACH'],
  [/is not up|Network is down/i, 'ENETDOWN'],
  [/Device or resource busy/i, 'EBUSY'],
  [/Unknown device type|Operation not supported|not supported/i, 'EOPNOTSUPP'],
  [/Operation not permitted|Permission denied/i, 'EPERM'],
  [/No space left/i, 'ENOSPC'],
  [/Invalid|invalid|less than|greater than|out of range|Error: argument|is garbage|expected/i, 'EINVAL'],
];

/** The errno-like code of an iproute2 error message. */
export function codeOfIpError(message: string): PlatformErrorCode {
  for (const [pattern, code] of messageCodes) if (pattern.test(message)) return code;
  return 'EIO';
}

/** Options of one `ip` call. */
export interface RunIpOptions {
  /** The operation, for the error (`addAddress`). */
  readonly op: string;
  /** What it acts on, for the error (`eth0 10.0.0.5/24`). */
  readonly subject: string;
}

/** Runs `ip -n <netns> <args...>` and resolves with its standard output. */
export function runIp(netns: string, args: readonly string[], options: RunIpOptions): Promise<string> {
  const { op, subject } = options;
  return new Promise((resolve, reject) => {
    execFile(
      ipCommand,
      ['-n', netns, ...args],
      {
        timeout: timeoutMs,
        maxBuffer,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const spawnCode = (error as NodeJS.ErrnoException).code;
        const said = stderr.trim().split('\n')[0] ?? '';
        const command = `ip -n ${netns} ${args.join(' ')}`;
        if (spawnCode === 'ENOENT') {
          reject(
            new PlatformError('EIO', `${op}: iproute2's ip is not installed (${iproute2Install})`, {
              op,
              subject,
              cause: error,
            }),
          );
        } else if (error.killed === true || error.signal === 'SIGKILL') {
          reject(
            new PlatformError('ETIMEDOUT', `${op} ${subject}: ${command} did not finish in ${timeoutMs} ms`, {
              op,
              subject,
              cause: error,
            }),
          );
        } else if (spawnCode === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(
            new PlatformError('EIO', `${op} ${subject}: ${command} printed more than ${maxBuffer} bytes`, {
              op,
              subject,
              cause: error,
            }),
          );
        } else {
          const text = said === '' ? error.message : said;
          reject(
            new PlatformError(codeOfIpError(text), `${op} ${subject}: ${text}`, {
              op,
              subject,
              cause: error,
            }),
          );
        }
      },
    );
  });
}
