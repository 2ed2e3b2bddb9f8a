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

/** A scheduler the simulation drives: one task at a time, in an order it does not decide itself. */
export interface SimScheduler extends TaskScheduler {
  /**
   * Runs one pending task; `extra` more options may be offered (the simulation uses one for "let
   * time pass"): the result is the index picked, `>= pending()` meaning an extra option (no task ran),
   * or `-1` when nothing was pending and no extra option was offered.
   */
  runNext(extra?: number): Promise<number>;
  /** Labels of the pending tasks, oldest first. */
  labels(): string[];
  /** Schedules a task that belongs to `scope`. */
  scheduleIn(scope: TaskScope, task: SchedulerTask): void;
  /** Drops every pending task of a scope (a crashed runtime's work never runs). */
  dropScope(scope: TaskScope): void;
}

/** A group of tasks that die together: the work of one runtime incarnation. */
export interface TaskScope {
  readonly name: string;
  alive: boolean;
}

interface Entry {
  readonly task: SchedulerTask;
  readonly scope: TaskScope | undefined;
}

/** Observes every task the scheduler runs (for traces and invariants). */
export type TaskObserver = (label: string, picked: number, pendingBefore: number) => void;

/**
 * The simulation's own scheduler: the next task is `choices.int(pending)` over the pending tasks,
 * oldest first, so choice `0` everywhere is first-in first-out.
 */
export function createSimScheduler(choices: Choices, observe?: TaskObserver): SimScheduler {
  const queue: Entry[] = [];
  const scheduler: SimScheduler = {
    schedule(task) {
      queue.push({ task, scope: undefined });
    },
    scheduleIn(scope, task) {
      queue.push({ task, scope });
    },
    pending: () => queue.length,
    async runNext(extra = 0) {
      const n = queue.length;
      if (n + extra === 0) return -1;
      const picked = choices.int(n + extra);
      if (picked >= n) return picked;
      const [entry] = picked === 0 ? [queue.shift()!] : queue.splice(picked, 1);
      observe?.(entry!.task.label, picked, n);
      entry!.task.run();
      return picked;
    },
    labels: () => queue.map((e) => e.task.label),
    dropScope(scope) {
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.scope === scope) queue.splice(i, 1);
    },
  };
  return scheduler;
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
  let ran = 0;
  const labels: string[] = [];
  const scheduler: SimScheduler = {
    schedule(task) {
      waiting++;
      labels.push(task.label);
      void s.schedule(Promise.resolve(), task.label).then(() => {
        waiting--;
        const i = labels.indexOf(task.label);
        if (i >= 0) labels.splice(i, 1);
        observe?.(task.label, ran++, waiting + 1);
        task.run();
      });
    },
    pending: () => waiting,
    async runNext(extra = 0) {
      if (waiting === 0) return extra > 0 ? 0 : -1;
      await s.waitNext(1);
      return 0;
    },
    labels: () => [...labels],
    scheduleIn: (_scope, task) => scheduler.schedule(task),
    dropScope() {
      // fast-check cannot forget a scheduled promise: the scoped wrapper turns its tasks into no-ops.
    },
  };
  return scheduler;
}
