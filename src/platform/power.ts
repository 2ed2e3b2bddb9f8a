/**
 * Power: how a node reboots or shuts itself down once its sequence has stopped everything. In a
 * process that hosts nodes (tests, simulations) a reboot restarts the node object in place; a node
 * that owns its process (`converge node run`) exits with a code its supervisor maps to a restart.
 */

/** Reboots or powers off the machine. */
export interface PowerPlatform {
  /**
   * Called once services and controllers are stopped. Resolves when the node should boot again in
   * this process; a process-owning node exits instead and never resolves.
   */
  reboot(): Promise<void>;
  /** Called once everything is stopped; a process-owning node exits. */
  shutdown(): Promise<void>;
}

/** Reboot in place: the node boots again in the same process, from its disk. The default. */
export function createInProcessPower(): PowerPlatform {
  return {
    reboot: async () => {},
    shutdown: async () => {},
  };
}
