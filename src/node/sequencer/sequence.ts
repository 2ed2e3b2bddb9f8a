/**
 * Sequences as data: ordered phases of tasks that run in parallel (research §5.2), with the
 * request they carry. The sequencer runs them; the node defines them.
 */
import type { Logger } from 'pino';
import type { SequenceErrorCode, SequenceName } from '../events/machine-event.js';

/** What a task gets: the cancellation signal of its sequence and a logger. */
export interface TaskContext {
  /** Aborted when another sequence takes over or the node stops; a task returns soon after. */
  readonly signal: AbortSignal;
  /** A child logger naming the sequence, phase and task. */
  readonly log: Logger;
  /** The sequence it runs in. */
  readonly sequence: SequenceName;
  /** The phase it runs in. */
  readonly phase: string;
}

/** One task; a throw fails its phase and so its sequence. */
export interface SequenceTask {
  /** Named as Talos names it where there is a counterpart (`startAllServices`, `leaveEtcd`). */
  readonly name: string;
  run(ctx: TaskContext): void | Promise<void>;
}

/** A phase: its tasks run in parallel; the next phase starts when all have finished. */
export interface SequencePhase {
  readonly name: string;
  readonly tasks: readonly SequenceTask[];
  /** When it answers true the phase is skipped (Talos' deferred checks). */
  readonly skip?: () => boolean | Promise<boolean>;
}

/** A sequence: phases in order. */
export interface Sequence {
  readonly name: SequenceName;
  readonly phases: readonly SequencePhase[];
}

/** A sequence was refused by the lock, cancelled by a takeover, or failed. */
export class SequenceError extends Error {
  /** `locked`, `canceled` or `fatal`. */
  readonly code: SequenceErrorCode;
  /** The sequence concerned. */
  readonly sequence: SequenceName;

  constructor(code: SequenceErrorCode, sequence: SequenceName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SequenceError';
    this.code = code;
    this.sequence = sequence;
  }
}

/** True when `error` is a {@link SequenceError}, with one of `codes` when given. */
export function isSequenceError(error: unknown, ...codes: SequenceErrorCode[]): error is SequenceError {
  return error instanceof SequenceError && (codes.length === 0 || codes.includes(error.code));
}

/**
 * Which running sequence a new one may take over (Talos' priority lock): boot yields to reboot,
 * reset and upgrade; initialize to maintenanceUpgrade and reboot; reboot and reset to reboot.
 * Any other pair is refused as `locked`.
 */
export const takeovers: Readonly<Record<SequenceName, readonly SequenceName[]>> = {
  initialize: ['maintenanceUpgrade', 'reboot'],
  install: [],
  boot: ['reboot', 'reset', 'upgrade'],
  reboot: ['reboot'],
  shutdown: [],
  reset: ['reboot'],
  upgrade: [],
  stageUpgrade: [],
  maintenanceUpgrade: [],
  noop: [],
};
