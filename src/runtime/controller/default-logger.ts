import { type Logger, pino } from 'pino';

let shared: Logger | undefined;

/**
 * The logger of a runtime given none: info and above as pino JSON lines on stderr, written
 * synchronously so a failure logged just before the process dies is not lost. One per process.
 * @internal
 */
export function defaultRuntimeLogger(): Logger {
  shared ??= pino({ level: 'info' }, pino.destination({ dest: 2, sync: true }));
  return shared;
}
