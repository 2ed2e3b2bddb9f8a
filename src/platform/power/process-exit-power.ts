/**
 * Power for a node that owns its process: a reboot exits with a code the process's supervisor
 * (systemd, a cluster runner) answers with a restart on the same state directory.
 */
import type { PowerPlatform } from '../power.js';

/** Options of {@link createProcessExitPower}. */
export interface ProcessExitPowerOptions {
  /** The exit code that asks for a restart (default 75, EX_TEMPFAIL). */
  readonly rebootCode?: number;
  /** The exit code of a shutdown (default 0). */
  readonly shutdownCode?: number;
  /** How to exit (default `process.exit`); tests pass their own. */
  readonly exit?: (code: number) => void;
}

/** Makes power that exits the process: `rebootCode` on reboot, `shutdownCode` on shutdown. */
export function createProcessExitPower(options: ProcessExitPowerOptions = {}): PowerPlatform {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  // Never resolves: the process is gone, or (with a test's exit) nothing more may run.
  const forever = new Promise<void>(() => {});
  return {
    reboot() {
      exit(options.rebootCode ?? 75);
      return forever;
    },
    shutdown() {
      exit(options.shutdownCode ?? 0);
      return forever;
    },
  };
}
