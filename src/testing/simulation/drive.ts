import { flushMicrotasks, type VirtualClock } from '../virtual-clock.js';
import type { ResolvedFaultRates } from './faults.js';
import type { Choices } from './seeded-random.js';
import type { SimScheduler } from './sim-scheduler.js';
import type { TraceKind } from './trace.js';

/** How a drive of the simulation ended. @internal */
export type DriveEnd = 'done' | 'idle' | 'deadline' | 'maxSteps';

/** What stepping and driving need from a simulation. @internal */
export interface DriveHost {
  readonly clock: VirtualClock;
  readonly choices: Choices;
  readonly scheduler: SimScheduler;
  /** After a task, with work pending: the chance that time jumps to the next timer first. */
  readonly timeRace: number;
  /** The fault rates in force now. */
  rates(): ResolvedFaultRates;
  /** A crash is waiting for the next runtime to start. */
  crashed(): boolean;
  /** A new runtime is starting after a crash. */
  recovering(): boolean;
  /** A graceful restart is under way. */
  restarting(): boolean;
  /** Starts runtimes until one survives its start. */
  recover(): Promise<void>;
  /** Stops the runtime gracefully and starts a new one. */
  restart(): Promise<void>;
  /** Counts one step taken. */
  stepped(): void;
  log(kind: TraceKind, text: string): void;
}

/**
 * Takes one step: runs the pending task the schedule picks, then maybe a fault keyed by that task
 * (a graceful restart, a clock jump, time racing to the next timer ahead of the pending work).
 * Resolves `false` when nothing was pending. @internal
 */
export async function step(host: DriveHost): Promise<boolean> {
  const { clock, choices, scheduler } = host;
  if (host.crashed() && !host.recovering()) {
    await host.recover();
    return true;
  }
  const label = await scheduler.runNext();
  if (label === undefined) return false;
  await flushMicrotasks();
  host.stepped();
  const rates = host.rates();
  if (host.crashed()) return true;
  if (!host.restarting() && !host.recovering() && choices.chance(rates.restart, 'restart after', label)) {
    host.log('fault', 'graceful restart');
    await host.restart();
    return true;
  }
  if (choices.chance(rates.clockJump, 'clock jump after', label)) {
    const ms = Math.floor(choices.float('clock jump length after', label) * rates.maxClockJumpMs);
    host.log('fault', `clock jumps ${ms} ms`);
    await clock.advance(ms);
  }
  const due = clock.nextDue();
  const pending = scheduler.pending();
  if (pending > 0 && due !== undefined && choices.chance(host.timeRace, 'time race after', label)) {
    host.log('time', `time races ${due - clock.now()} ms ahead of ${pending} pending tasks`);
    await clock.advance(Math.max(0, due - clock.now()));
  }
  return true;
}

/**
 * Steps until `done()`; when nothing is runnable, moves time to the next timer. Ends `idle` when
 * nothing is runnable and no timer is set. `nested` drives (a runtime's start or stop) leave a
 * crash to the outer drive. @internal
 */
export async function drive(
  host: DriveHost,
  done: () => boolean,
  limits: { deadline: number; maxSteps: number },
  nested = false,
): Promise<DriveEnd> {
  const { clock, scheduler } = host;
  const mayRecover = () => host.crashed() && !nested && !host.recovering();
  let steps = 0;
  for (;;) {
    if (done()) return 'done';
    if (mayRecover()) {
      await host.recover();
      continue;
    }
    if (scheduler.pending() > 0) {
      if (steps++ >= limits.maxSteps) return 'maxSteps';
      await step(host);
      continue;
    }
    await flushMicrotasks();
    if (scheduler.pending() > 0 || done()) continue;
    if (mayRecover()) continue;
    const due = clock.nextDue();
    if (due === undefined) return 'idle';
    if (due > limits.deadline) return 'deadline';
    host.log('time', `idle: time moves ${due - clock.now()} ms to the next timer`);
    await clock.advance(Math.max(0, due - clock.now()));
    await flushMicrotasks();
  }
}

/** Drives until `promise` settles and hands back its outcome; throws when it never can. @internal */
export async function driveUntilSettled<T>(
  host: DriveHost,
  promise: Promise<T>,
  what: string,
  limits: { deadline: number; maxSteps: number },
): Promise<T> {
  let done = false;
  const tracked = promise.then(
    (v) => {
      done = true;
      return v;
    },
    (e: unknown) => {
      done = true;
      throw e;
    },
  );
  tracked.catch(() => {});
  const end = await drive(host, () => done, limits);
  if (!done) {
    throw new Error(`simulation: ${what} did not complete (${end === 'idle' ? 'nothing left to run' : end})`);
  }
  return tracked;
}
