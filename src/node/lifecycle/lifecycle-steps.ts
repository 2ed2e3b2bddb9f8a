/**
 * The named steps of the node's operations, in order. Each is published on the event bus as it
 * completes, and the node's lifecycle hook sees it: crash tests stop the process at every one.
 */
import type { LifecycleOperation } from '../events/machine-event.js';

/** Every step of every operation, in the order they happen. */
export const lifecycleSteps = {
  applyConfig: ['history-written', 'state-written', 'active-set'],
  upgrade: ['slot-written', 'marker-written', 'default-flipped', 'services-stopped'],
  rollback: ['marker-written', 'default-flipped', 'services-stopped'],
  reset: [
    'cordoned',
    'etcd-left',
    'services-stopped',
    'reset-marked',
    'ephemeral-wiped',
    'state-wiped',
    'reset-finished',
  ],
  boot: ['default-reverted', 'marker-deleted', 'upgrade-committed'],
  reboot: ['services-stopped'],
  shutdown: ['services-stopped'],
} as const satisfies Record<LifecycleOperation, readonly string[]>;

/** Sees each step once it is done; a test may stop the process there. */
export type NodeLifecycleHook = (operation: LifecycleOperation, step: string) => void | Promise<void>;
