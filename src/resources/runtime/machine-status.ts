import { z } from 'zod';
import { defineResource } from '../../runtime/resource/define-resource.js';
import type { ResourceOf } from '../../runtime/resource/resource.js';

/** The stages a machine goes through, as Talos prints them. */
export const machineStages = [
  'unknown',
  'booting',
  'installing',
  'maintenance',
  'running',
  'rebooting',
  'shutting down',
  'resetting',
  'upgrading',
] as const;

/** A readiness condition that is not met, and why. */
const unmetCondition = z.object({ name: z.string(), reason: z.string() });

/**
 * The machine's stage and readiness (`MachineStatuses.runtime.talos.dev/machine` in `runtime`):
 * what `talosctl health`, upgrades (commit on running and ready) and people wait on.
 */
export const MachineStatuses = defineResource({
  type: 'MachineStatuses.runtime.talos.dev',
  defaultNamespace: 'runtime',
  aliases: ['machinestatus', 'ms'],
  spec: z.object({
    stage: z.enum(machineStages).default('unknown'),
    status: z
      .object({
        ready: z.boolean().default(false),
        unmetConditions: z.array(unmetCondition).default([]),
      })
      .default({ ready: false, unmetConditions: [] }),
  }),
  printColumns: [
    { name: 'Stage', jsonPath: '{.stage}' },
    { name: 'Ready', jsonPath: '{.status.ready}' },
  ],
});
/** A MachineStatus resource. */
export type MachineStatus = ResourceOf<typeof MachineStatuses>;

/** The id of the one MachineStatus. */
export const machineStatusId = 'machine';
