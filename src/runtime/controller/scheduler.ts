/** One runnable unit of the runtime: start a reconcile, start a queue item, fan out a batch of events. */
export interface RuntimeTask {
  /** What the task is, for traces: `reconcile IntToStrController`, `deliver Ints(default)`. */
  readonly label: string;
  /** Runs the task's synchronous part; what it awaits is scheduled by the runtime itself. */
  run(): void;
}

/**
 * Where the runtime hands its runnable work. The default runs tasks in order in a microtask drain
 * loop; a deterministic simulation buffers them and runs them in a seeded order. The runtime's
 * guarantees (one reconcile per controller at a time, one queue key never concurrent with itself,
 * coalescing) hold whatever order the scheduler picks.
 *
 * @experimental
 */
export interface RuntimeScheduler {
  schedule(task: RuntimeTask): void;
  /** How many tasks wait to run (information only: the runtime counts its own outstanding tasks). */
  pending?(): number;
}

/** Tasks run per turn before the drain yields to the event loop (I/O, timers). */
const drainBudget = 1024;

/**
 * The default scheduler: FIFO, drained on `setImmediate`, so the microtask-driven writes of one burst
 * (a writer loop, a reconcile's outputs) land before the runs they wake start, and coalesce into
 * fewer of them; after a budget of tasks it yields again so a flood of work never starves I/O.
 * Never `setTimeout(0)`, which costs about 1 ms. @internal
 */
export function createDrainScheduler(): RuntimeScheduler {
  let queue: RuntimeTask[] = [];
  let head = 0;
  let scheduled = false;
  const drain = () => {
    let budget = drainBudget;
    while (head < queue.length) {
      if (budget-- === 0) {
        setImmediate(drain);
        return;
      }
      const task = queue[head]!;
      queue[head++] = undefined as never;
      task.run();
    }
    queue = [];
    head = 0;
    scheduled = false;
  };
  return {
    schedule(task) {
      queue.push(task);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    pending: () => queue.length - head,
  };
}
