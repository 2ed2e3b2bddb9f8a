/** What long-running commands share: a `host:port` flag and waiting for Ctrl-C or SIGTERM. */
import { CliError, exitCodes } from './exit-codes.js';

/** Splits `host:port` (`[v6]:port` for IPv6); an empty host is every address. */
export function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65_535) {
    throw new CliError(
      `${flag} must be host:port (e.g. 127.0.0.1:7443 or [::1]:7443), got ${JSON.stringify(text)}`,
      exitCodes.usage,
    );
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
