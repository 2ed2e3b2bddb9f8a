import type { Scheduler as FastCheckScheduler } from 'fast-check';
import type { Choices } from './seeded-random.js';

/** One runnable unit: a reconcile start, a queue item, a store call, a watch delivery. */
export interface SchedulerTask {
  /** What the task is, for traces (`reconcile IntToStr`, `state.update Ints(default/a)`). */
  readonly label: string;
  /** Runs the task's synchronous part; what it awaits is scheduled again by the code under test. */
  run(): void;
}

/**
 * The port every source of work hands its runnable units to; structurally the runtime's
 * `experimental_scheduler`.
 */
export interface TaskScheduler {
  schedule(task: SchedulerTask): void;
  /** How many tasks wait to run. */
  pending(): number;
}

/** A group of tasks that die together: the work of one runtime incarnation. */
export interface TaskScope {
  readonly name: string;
  alive: boolean;
}

/** A scheduler the simulation drives: one task at a time, in an order it does not decide itself. */
export interface SimScheduler extends TaskScheduler {
  /** Runs one pending task; resolves its label, or `undefined` when nothing was pending. */
  runNext(): Promise<string | undefined>;
  /** Labels of the pending tasks, in the order they would run. */
  labels(): string[];
  /** Schedules a task that belongs to `scope`. */
  scheduleIn(scope: TaskScope, task: SchedulerTask): void;
  /** Drops every pending task of a scope (a crashed runtime's work never runs). */
  dropScope(scope: TaskScope): void;
}

/** Observes every task the scheduler runs (for traces and invariants). */
export type TaskObserver = (label: string, pendingBefore: number) => void;

/** Options of {@link createSimScheduler}. */
export interface SimSchedulerOptions {
  /** Sees every task run. */
  observe?: TaskObserver;
  /** The longest a task may be held back, in steps (default 48). */
  maxDelay?: number;
}

interface Entry {
  readonly task: SchedulerTask;
  readonly scope: TaskScope | undefined;
  /** The step it may run at: the step it was scheduled at plus its delay. */
  readonly due: number;
  readonly seq: number;
}

/**
 * The simulation's own scheduler. Each task, when scheduled, is held back by a delay the choices
 * pick for it by its label (0 most often is no delay at all, so an all-zero script is first-in
 * first-out); the task due earliest runs next, oldest first among equals. Delays keyed by label make
 * a schedule mean the same thing when unrelated tasks come and go, which keeps shrinking stable.
 */
export function createSimScheduler(choices: Choices, options: SimSchedulerOptions = {}): SimScheduler {
  const { observe } = options;
  const maxDelay = options.maxDelay ?? 48;
  if (!(maxDelay >= 0) || !Number.isInteger(maxDelay)) {
    throw new RangeError(`createSimScheduler: maxDelay must be an integer >= 0, got ${maxDelay}`);
  }
  const queue: Entry[] = [];
  let step = 0;
  let seq = 0;
  const add = (task: SchedulerTask, scope: TaskScope | undefined) => {
    // Squaring keeps most delays short and a few long, as slow work is.
    const v = maxDelay === 0 ? 0 : choices.float('delay', task.label);
    queue.push({ task, scope, due: step + Math.floor(v * v * (maxDelay + 1)), seq: seq++ });
  };
  const next = (): number => {
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const e = queue[i]!;
      const b = queue[best]!;
      if (e.due < b.due || (e.due === b.due && e.seq < b.seq)) best = i;
    }
    return best;
  };
  return {
    schedule: (task) => add(task, undefined),
    scheduleIn: (scope, task) => add(task, scope),
    pending: () => queue.length,
    async runNext() {
      if (queue.length === 0) return undefined;
      const n = queue.length;
      const [entry] = queue.splice(next(), 1);
      step++;
      observe?.(entry!.task.label, n);
      entry!.task.run();
      return entry!.task.label;
    },
    labels: () => [...queue].sort((a, b) => a.due - b.due || a.seq - b.seq).map((e) => e.task.label),
    dropScope(scope) {
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.scope === scope) queue.splice(i, 1);
    },
  };
}

/** A view of `base` whose tasks belong to `scope`: once the scope dies they are dropped or skipped. */
export function scopedScheduler(base: SimScheduler, scope: TaskScope): TaskScheduler {
  return {
    schedule(task) {
      if (!scope.alive) return;
      base.scheduleIn(scope, {
        label: task.label,
        run: () => {
          if (scope.alive) task.run();
        },
      });
    },
    pending: () => base.pending(),
  };
}

/**
 * Drives a simulation with fast-check's `fc.scheduler()`: every task becomes a scheduled promise
 * and fast-check picks which is released next (its seed and path replay the order).
 */
export function fastCheckSimScheduler(s: FastCheckScheduler, observe?: TaskObserver): SimScheduler {
  let waiting = 0;
  let last: string | undefined;
  const labels: string[] = [];
  const scheduler: SimScheduler = {
    schedule(task) {
      waiting++;
      labels.push(task.label);
      void s.schedule(Promise.resolve(), task.label).then(() => {
        waiting--;
        const i = labels.indexOf(task.label);
        if (i >= 0) labels.splice(i, 1);
        observe?.(task.label, waiting + 1);
        last = task.label;
        task.run();
      });
    },
    pending: () => waiting,
    async runNext() {
      if (waiting === 0) return undefined;
      last = undefined;
      await s.waitNext(1);
      return last;
    },
    labels: () => [...labels],
    scheduleIn: (_scope, task) => scheduler.schedule(task),
    dropScope() {
      // fast-check cannot forget a scheduled promise: the scoped wrapper turns its tasks into no-ops.
    },
  };
  return scheduler;
}

/**
 * Wraps async work so its result is released by the scheduler: the work starts at once, but the
 * caller sees it complete only when the task `complete <label>` runs (and the work has finished).
 */
export function scheduledFunction<TArgs extends unknown[], T>(
  scheduler: TaskScheduler,
  fn: (...args: TArgs) => Promise<T> | T,
  label: string,
): (...args: TArgs) => Promise<T> {
  return (...args) =>
    new Promise<T>((resolve, reject) => {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      let released = false;
      const finish = () => {
        if (outcome === undefined || !released) return;
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      };
      Promise.resolve()
        .then(() => fn(...args))
        .then(
          (value) => {
            outcome = { ok: true, value };
            finish();
          },
          (error: unknown) => {
            outcome = { ok: false, error };
            finish();
          },
        );
      scheduler.schedule({
        label: `complete ${label}`,
        run: () => {
          released = true;
          finish();
        },
      });
    });
}
