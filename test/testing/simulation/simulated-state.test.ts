import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConflictError, isOverrunError } from '../../../src/runtime/errors.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { createState } from '../../../src/runtime/state/create-state.js';
import { withStateHelpers } from '../../../src/runtime/state/state-helpers.js';
import type { WatchEvent } from '../../../src/runtime/state/watch-event.js';
import { scriptedChoices, seededChoices } from '../../../src/testing/simulation/seeded-random.js';
import { createSimScheduler, type SimScheduler } from '../../../src/testing/simulation/sim-scheduler.js';
import {
  createSimulatedState,
  type StateFaultRates,
} from '../../../src/testing/simulation/simulated-state.js';
import { createVirtualClock, flushMicrotasks } from '../../../src/testing/virtual-clock.js';

const Counters = defineResource({
  type: 'Counters.simstate.test.converge.dev',
  spec: z.object({ n: z.number().int() }),
});

async function runAll(scheduler: SimScheduler): Promise<number> {
  let steps = 0;
  for (;;) {
    await flushMicrotasks();
    if ((await scheduler.runNext()) === undefined) return steps;
    steps++;
  }
}

function setup(seed: number | 'fifo', faults: Partial<StateFaultRates> = {}) {
  const clock = createVirtualClock();
  const inner = createState({ clock });
  const choices = seed === 'fifo' ? scriptedChoices([]) : seededChoices(seed);
  const scheduler = createSimScheduler(choices);
  const rates = { writeConflict: 0, watchOverrun: 0, ...faults };
  const trace: string[] = [];
  const sim = createSimulatedState(inner, {
    scheduler,
    choices,
    faults: () => rates,
    trace: (e) => trace.push(`${e.kind}: ${e.label}`),
  });
  return { inner, sim, scheduler, rates, trace };
}

describe('createSimulatedState', () => {
  it('should complete a call only when the scheduler runs it', async () => {
    const { sim, scheduler, inner } = setup('fifo');
    let done = false;
    const created = sim.create(Counters.make('a', { n: 1 })).then((r) => {
      done = true;
      return r;
    });
    await flushMicrotasks();
    expect(done).toBe(false);
    expect(scheduler.labels()).toEqual(['state.create Counters.simstate.test.converge.dev(default/a)']);
    await expect(inner.get(Counters.pointer('a'))).rejects.toThrow(/not found/);
    await runAll(scheduler);
    expect(done).toBe(true);
    expect((await created).metadata.version).toBe(1);
  });

  it('should pass errors of the store through', async () => {
    const { sim, scheduler } = setup('fifo');
    const got = sim.get(Counters.pointer('missing')).catch((e: unknown) => e);
    await runAll(scheduler);
    expect(String(await got)).toMatch(/not found/);
  });

  it('should keep each subscription in store order while subscriptions lag each other', async () => {
    const orders = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const { sim, scheduler, inner } = setup(seed);
      const seen: string[] = [];
      const a: number[] = [];
      const b: number[] = [];
      const subA = sim.watchKind(Counters.kind()).subscribe((e: WatchEvent) => {
        if (e.type === 'created' || e.type === 'updated') {
          a.push(e.resource.spec.n as number);
          seen.push(`a${e.resource.spec.n}`);
        }
      });
      const subB = sim.watchKind(Counters.kind()).subscribe((e: WatchEvent) => {
        if (e.type === 'created' || e.type === 'updated') {
          b.push(e.resource.spec.n as number);
          seen.push(`b${e.resource.spec.n}`);
        }
      });
      await runAll(scheduler);
      const state = withStateHelpers(inner);
      await state.create(Counters.make('x', { n: 0 }));
      for (let n = 1; n <= 4; n++) {
        await state.updateWithConflicts(Counters.pointer('x'), (d) => {
          d.spec.n = n;
        });
      }
      await runAll(scheduler);
      expect(a).toEqual([0, 1, 2, 3, 4]);
      expect(b).toEqual([0, 1, 2, 3, 4]);
      orders.add(seen.join());
      subA.unsubscribe();
      subB.unsubscribe();
    }
    expect(orders.size).toBeGreaterThan(3);
  });

  it('should inject version conflicts on updates at the given rate, writing nothing', async () => {
    const { sim, scheduler, inner, rates, trace } = setup(3, { writeConflict: 1 });
    await inner.create(Counters.make('a', { n: 1 }));
    const stored = await inner.get(Counters.pointer('a'));
    const update = sim.update({ ...stored, spec: { n: 2 } }).catch((e: unknown) => e);
    await runAll(scheduler);
    expect(isConflictError(await update)).toBe(true);
    expect((await inner.get(Counters.pointer('a'))).spec.n).toBe(1);
    expect(trace.some((t) => t.startsWith('fault: write conflict'))).toBe(true);
    rates.writeConflict = 0;
    const again = sim.update({ ...stored, spec: { n: 2 } });
    await runAll(scheduler);
    expect((await again).spec.n).toBe(2);
  });

  it('should retry injected conflicts in updateWithConflicts', async () => {
    const { sim, scheduler, inner } = setup(8, { writeConflict: 0.5 });
    await inner.create(Counters.make('a', { n: 1 }));
    const state = withStateHelpers(sim);
    const done = state.updateWithConflicts(Counters.pointer('a'), (d) => {
      d.spec.n = 7;
    });
    await runAll(scheduler);
    expect((await done).spec.n).toBe(7);
  });

  it('should fail a watch with an overrun error and deliver nothing more', async () => {
    const { sim, scheduler, inner } = setup(1, { watchOverrun: 1 });
    const events: string[] = [];
    let failure: unknown;
    sim.watchKind(Counters.kind()).subscribe({
      next: (e) => events.push(e.type),
      error: (e: unknown) => {
        failure = e;
      },
    });
    await inner.create(Counters.make('a', { n: 1 }));
    await runAll(scheduler);
    expect(events).toEqual([]);
    expect(isOverrunError(failure)).toBe(true);
    expect(String(failure)).toMatch(/buffer overrun/);
    expect(sim.openWatches()).toBe(0);
  });

  it('should merge queued batches of aggregated watches', async () => {
    const { sim, scheduler, inner } = setup('fifo');
    const batches: number[] = [];
    sim
      .watchKindAggregated(Counters.kind(), { bootstrapContents: true })
      .subscribe((b) => batches.push(b.length));
    await inner.create(Counters.make('a', { n: 1 }));
    await flushMicrotasks();
    await inner.create(Counters.make('b', { n: 1 }));
    await runAll(scheduler);
    // bootstrap (1 event) and two created events arrive as one merged batch in FIFO order.
    expect(batches.reduce((x, y) => x + y, 0)).toBe(3);
  });

  it('should freeze everything once killed', async () => {
    const { sim, scheduler, inner } = setup('fifo');
    const events: string[] = [];
    sim.watchKind(Counters.kind()).subscribe((e) => events.push(e.type));
    await runAll(scheduler);
    let settled = false;
    void sim.create(Counters.make('a', { n: 1 })).finally(() => {
      settled = true;
    });
    await inner.create(Counters.make('b', { n: 1 }));
    sim.kill();
    expect(sim.alive).toBe(false);
    await runAll(scheduler);
    expect(settled).toBe(false);
    expect(events).toEqual([]);
    await expect(inner.get(Counters.pointer('a'))).rejects.toThrow(/not found/);
    let late = false;
    void sim.get(Counters.pointer('b')).finally(() => {
      late = true;
    });
    await runAll(scheduler);
    expect(late).toBe(false);
  });

  it('should resolve delivered() once every queued event was handed over', async () => {
    const { sim, scheduler, inner } = setup('fifo');
    const events: string[] = [];
    sim.watchKind(Counters.kind()).subscribe((e) => events.push(e.type));
    await runAll(scheduler);
    await inner.create(Counters.make('a', { n: 1 }));
    let delivered = false;
    void sim.delivered!().then(() => {
      delivered = true;
    });
    await flushMicrotasks();
    expect(delivered).toBe(false);
    await runAll(scheduler);
    expect(delivered).toBe(true);
    expect(events).toEqual(['created']);
  });
});
