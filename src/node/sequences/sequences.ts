/**
 * The node's sequences as Talos lists them (research §5.3), phases of tasks: this file is the
 * phase lists only; the machine supplies what each task does. Optional phases are skipped by their
 * deferred check, so a sequence always has the same shape in events.
 */
import type { Sequence, SequencePhase, SequenceTask, TaskContext } from '../sequencer/sequence.js';

/** A task's body. */
type Run = (ctx: TaskContext) => void | Promise<void>;

const task = (name: string, run: Run): SequenceTask => ({ name, run });
const phase = (
  name: string,
  tasks: SequenceTask[],
  skip?: () => boolean | Promise<boolean>,
): SequencePhase => (skip === undefined ? { name, tasks } : { name, tasks, skip });

/** What initialize does: reload META, finish an interrupted reset, install a fresh disk, load the config, start the controllers. */
interface InitializeTasks {
  readonly reloadMeta: Run;
  readonly resetPending: () => Promise<boolean>;
  readonly finishReset: Run;
  readonly installed: () => Promise<boolean>;
  readonly install: Run;
  readonly probeBootloader: Run;
  readonly loadConfig: Run;
  readonly startRuntime: Run;
}

/** `initialize`: meta; [resetSystemDisk]; [install]; bootloader; config; runtime. */
export function initializeSequence(t: InitializeTasks): Sequence {
  return {
    name: 'initialize',
    phases: [
      phase('meta', [task('reloadMeta', t.reloadMeta)]),
      phase('resetSystemDisk', [task('finishReset', t.finishReset)], async () => !(await t.resetPending())),
      phase('install', [task('install', t.install)], t.installed),
      phase('bootloader', [task('probeBootloader', t.probeBootloader)]),
      phase('config', [task('loadConfig', t.loadConfig)]),
      phase('runtime', [task('startRuntime', t.startRuntime)]),
    ],
  };
}

/** `install`: the staged upgrade from META, written before anything else runs. */
export function installSequence(t: { readonly installStaged: Run }): Sequence {
  return { name: 'install', phases: [phase('install', [task('upgrade', t.installStaged)])] };
}

/** What boot does. */
interface BootTasks {
  /** True when a config is active (no maintenance needed). */
  readonly configured: () => boolean;
  readonly runningMaintenance: Run;
  readonly checkImage: Run;
  readonly mountEphemeral: Run;
  readonly startAllServices: Run;
}

/** `boot`: [maintenance]; image; ephemeral; startEverything. */
export function bootSequence(t: BootTasks): Sequence {
  return {
    name: 'boot',
    phases: [
      phase('maintenance', [task('runningMaintenance', t.runningMaintenance)], t.configured),
      phase('image', [task('checkImage', t.checkImage)]),
      phase('ephemeral', [task('mountEphemeral', t.mountEphemeral)]),
      phase('startEverything', [task('startAllServices', t.startAllServices)]),
    ],
  };
}

/** How everything stops before a reboot, shutdown, reset or upgrade: *stopAll* of research §5.3. */
export interface StopTasks {
  readonly stopServices: Run;
  readonly stopRuntime: Run;
}

const stopAll = (t: StopTasks): SequencePhase[] => [
  phase('stopServices', [task('stopAllServices', t.stopServices)]),
  phase('stopEverything', [task('stopControllers', t.stopRuntime)]),
];

/** `reboot`: [rollback]; stopAll (then the machine's power reboots). */
export function rebootSequence(t: StopTasks & { readonly rollback?: Run }): Sequence {
  const before = t.rollback === undefined ? [] : [phase('rollback', [task('revertBootloader', t.rollback)])];
  return { name: 'reboot', phases: [...before, ...stopAll(t)] };
}

/** `shutdown`: stopAll (then the machine powers off). */
export function shutdownSequence(t: StopTasks): Sequence {
  return { name: 'shutdown', phases: stopAll(t) };
}

/** `upgrade`: the installer writes the other slot; stopAll (then a reboot into it). */
export function upgradeSequence(t: StopTasks & { readonly install: Run }): Sequence {
  return { name: 'upgrade', phases: [phase('upgrade', [task('install', t.install)]), ...stopAll(t)] };
}

/** `stageUpgrade`: the image goes to META; stopAll; the next boot's install sequence performs it. */
export function stageUpgradeSequence(t: StopTasks & { readonly stage: Run }): Sequence {
  return { name: 'stageUpgrade', phases: [phase('stage', [task('stageUpgrade', t.stage)]), ...stopAll(t)] };
}

/** What reset does besides stopping. */
interface ResetTasks extends StopTasks {
  readonly graceful: boolean;
  readonly cordon: Run;
  readonly leaveEtcd: Run;
  readonly resetSystemDisk: Run;
}

/** `reset`: [drain]; [leave]; stopAll; resetSystemDisk (then a reboot into maintenance). */
export function resetSequence(t: ResetTasks): Sequence {
  const forced = () => !t.graceful;
  return {
    name: 'reset',
    phases: [
      phase('drain', [task('cordonAndDrain', t.cordon)], forced),
      phase('leave', [task('leaveEtcd', t.leaveEtcd)], forced),
      ...stopAll(t),
      phase('resetSystemDisk', [task('resetSystemDisk', t.resetSystemDisk)]),
    ],
  };
}
