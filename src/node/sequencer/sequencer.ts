/**
 * The sequencer: runs one sequence at a time under a priority lock, phases in order and the tasks
 * of a phase in parallel, and publishes a start and a stop event for every sequence, phase and task.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../runtime/clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { SequenceErrorCode, SequenceName } from '../events/machine-event.js';
import { type Sequence, SequenceError, type SequencePhase, takeovers } from './sequence.js';

/** Options of {@link createSequencer}. */
export interface SequencerOptions {
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a takeover waits for the running sequence to cancel before refusing (default 60 s). */
  readonly cancelTimeoutMs?: number;
}

/** Runs sequences. */
export interface Sequencer {
  /**
   * Runs a sequence to its end. Rejects with a {@link SequenceError}: `locked` when another sequence
   * runs that it may not take over, `canceled` when a later one took over, `fatal` when a task failed.
   */
  run(sequence: Sequence): Promise<void>;
  /** The sequence running now, if any. */
  current(): SequenceName | undefined;
  /** Cancels the running sequence (node stop) and waits for it to end. */
  cancel(): Promise<void>;
}

interface Running {
  readonly name: SequenceName;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** Makes a sequencer publishing to `bus`. */
export function createSequencer(options: SequencerOptions): Sequencer {
  const { bus, clock, logger } = options;
  const cancelTimeout = options.cancelTimeoutMs ?? 60_000;
  let running: Running | undefined;

  const refuse = (sequence: SequenceName, code: SequenceErrorCode, message: string): never => {
    bus.publish({ type: 'sequence', sequence, action: 'stop', error: { code, message } });
    throw new SequenceError(code, sequence, message);
  };

  /** Waits for `done`, or refuses once the cancel timeout passes. */
  const waitCancelled = (done: Promise<void>): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), cancelTimeout);
      void done.then(() => {
        clock.clearTimeout(timer);
        resolve(true);
      });
    });

  /** Makes `name` the running sequence; claimed synchronously when the lock is free. */
  const claim = (name: SequenceName): { mine: Running; finish: () => void } => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const mine: Running = { name, abort: new AbortController(), done };
    running = mine;
    return { mine, finish };
  };

  const acquire = async (name: SequenceName): Promise<{ mine: Running; finish: () => void }> => {
    while (running) {
      const current = running;
      if (!takeovers[current.name].includes(name)) {
        refuse(name, 'locked', `sequence ${name} refused: ${current.name} is running`);
      }
      current.abort.abort(
        new SequenceError('canceled', current.name, `${current.name} taken over by ${name}`),
      );
      if (!(await waitCancelled(current.done))) {
        refuse(
          name,
          'locked',
          `sequence ${name} refused: ${current.name} did not cancel in ${cancelTimeout} ms`,
        );
      }
    }
    return claim(name);
  };

  const runPhase = async (
    sequence: SequenceName,
    phase: SequencePhase,
    signal: AbortSignal,
  ): Promise<void> => {
    bus.publish({ type: 'phase', sequence, phase: phase.name, action: 'start' });
    const results = await Promise.allSettled(
      phase.tasks.map(async (task) => {
        bus.publish({ type: 'task', sequence, phase: phase.name, task: task.name, action: 'start' });
        const log = logger.child({ sequence, phase: phase.name, task: task.name });
        try {
          await task.run({ signal, log, sequence, phase: phase.name });
          bus.publish({ type: 'task', sequence, phase: phase.name, task: task.name, action: 'stop' });
        } catch (error) {
          const code = signal.aborted ? 'canceled' : 'fatal';
          const message = `task ${task.name}: ${(error as Error)?.message ?? String(error)}`;
          bus.publish({
            type: 'task',
            sequence,
            phase: phase.name,
            task: task.name,
            action: 'stop',
            error: { code, message },
          });
          throw new SequenceError(code, sequence, message, { cause: error });
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const error = failed.reason as SequenceError;
      bus.publish({
        type: 'phase',
        sequence,
        phase: phase.name,
        action: 'stop',
        error: { code: error.code, message: error.message },
      });
      throw error;
    }
    bus.publish({ type: 'phase', sequence, phase: phase.name, action: 'stop' });
  };

  const execute = async (sequence: Sequence, signal: AbortSignal): Promise<void> => {
    bus.publish({ type: 'sequence', sequence: sequence.name, action: 'start' });
    try {
      for (const phase of sequence.phases) {
        if (signal.aborted) throw signal.reason;
        if (await phase.skip?.()) continue;
        await runPhase(sequence.name, phase, signal);
      }
      if (signal.aborted) throw signal.reason;
    } catch (error) {
      const code: SequenceErrorCode = signal.aborted ? 'canceled' : 'fatal';
      const message = error instanceof Error ? error.message : String(error);
      bus.publish({ type: 'sequence', sequence: sequence.name, action: 'stop', error: { code, message } });
      logger[code === 'fatal' ? 'error' : 'info'](
        { sequence: sequence.name, err: error },
        `sequence ${sequence.name} ${code}: ${message}`,
      );
      throw error instanceof SequenceError && error.code === code
        ? error
        : new SequenceError(code, sequence.name, message, { cause: error });
    }
    bus.publish({ type: 'sequence', sequence: sequence.name, action: 'stop' });
  };

  return {
    async run(sequence) {
      // Claimed in the caller's turn when free, so a sequence asked for right after sees this one.
      const { mine, finish } = running ? await acquire(sequence.name) : claim(sequence.name);
      try {
        await execute(sequence, mine.abort.signal);
      } finally {
        if (running === mine) running = undefined;
        finish();
      }
    },
    current: () => running?.name,
    async cancel() {
      const current = running;
      if (!current) return;
      current.abort.abort(
        new SequenceError('canceled', current.name, `${current.name} cancelled: the node stops`),
      );
      await current.done;
    },
  };
}
