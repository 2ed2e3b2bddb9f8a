/**
 * The machine's stage, derived from the event bus as Talos derives it (research §5.6), so any
 * sequence maps to a stage without a table of resources.
 */
import type { MachineEvent } from './events/machine-event.js';

/** The stages of a machine, as Talos prints them. */
export type MachineStage =
  | 'unknown'
  | 'booting'
  | 'installing'
  | 'maintenance'
  | 'running'
  | 'rebooting'
  | 'shutting down'
  | 'resetting'
  | 'upgrading';

const onSequenceStart: Partial<Record<string, MachineStage>> = {
  initialize: 'booting',
  boot: 'booting',
  upgrade: 'upgrading',
  stageUpgrade: 'upgrading',
  maintenanceUpgrade: 'upgrading',
  reset: 'resetting',
  reboot: 'rebooting',
  shutdown: 'shutting down',
};

/** The stage after `event`, given the stage before it. */
export function nextStage(stage: MachineStage, event: MachineEvent): MachineStage {
  switch (event.type) {
    case 'sequence':
      if (event.action === 'start') return onSequenceStart[event.sequence] ?? stage;
      if (event.error?.code === 'fatal' && event.sequence !== 'shutdown') return 'rebooting';
      if (!event.error && event.sequence === 'boot') return 'running';
      return stage;
    case 'phase':
      if (event.action !== 'start') return stage;
      if (event.sequence === 'install' && event.phase === 'install') return 'installing';
      if (event.phase === 'kexec' && (event.sequence === 'install' || event.sequence === 'upgrade')) {
        return 'rebooting';
      }
      return stage;
    case 'task':
      if (event.task !== 'runningMaintenance') return stage;
      return event.action === 'start' ? 'maintenance' : 'booting';
    default:
      return stage;
  }
}
