import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptedChoices, seededChoices } from '../../../src/testing/simulation/seeded-random.js';
import {
  createSimScheduler,
  fastCheckSimScheduler,
  scopedScheduler,
  type TaskScope,
} from '../../../src/testing/simulation/sim-scheduler.js';

async function drain(seed: number, n: number): Promise<string[]> {
  const ran: string[] = [];
  const scheduler = createSimScheduler(seededChoices(seed));
  for (let i = 0; i < n; i++) scheduler.schedule({ label: `t${i}`, run: () => ran.push(`t${i}`) });
  while ((await scheduler.runNext()) !== undefined);
  return ran;
}

describe('createSimScheduler', () => {
  it('should run every task once, in an order the seed fixes', async () => {
    const a = await drain(5, 8);
    const b = await drain(5, 8);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    const orders = new Set<string>();
    for (let seed = 0; seed < 20; seed++) orders.add((await drain(seed, 5)).join());
    expect(orders.size).toBeGreaterThan(5);
  });

  it('should run oldest first when every choice is 0', async () => {
    const ran: string[] = [];
    const scheduler = createSimScheduler(scriptedChoices([]));
    for (const l of ['a', 'b', 'c']) scheduler.schedule({ label: l, run: () => ran.push(l) });
    expect(scheduler.labels()).toEqual(['a', 'b', 'c']);
    while ((await scheduler.runNext()) !== undefined);
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('should hold back a task by the delay its label draws, whatever else is scheduled', async () => {
    // Find the script bucket of "delay b#1" by trying the maximal value in each bucket.
    const orderWith = async (script: number[], labels: string[]) => {
      const ran: string[] = [];
      const scheduler = createSimScheduler(scriptedChoices(script, 512), { maxDelay: 4 });
      for (const l of labels) scheduler.schedule({ label: l, run: () => ran.push(l) });
      while ((await scheduler.runNext()) !== undefined);
      return ran.join('');
    };
    let script: number[] | undefined;
    for (let bucket = 0; bucket < 512 && script === undefined; bucket++) {
      const candidate = Array.from({ length: 512 }, (_, i) => (i === bucket ? 0xffff : 0));
      if ((await orderWith(candidate, ['a', 'b', 'c', 'd'])) === 'acdb') script = candidate;
    }
    expect(script).toBeDefined();
    // The same script delays b the same way when other tasks come and go.
    expect(await orderWith(script!, ['b', 'x', 'y', 'z'])).toBe('xyzb');
    expect(await orderWith(script!, ['a', 'b'])).toBe('ab');
  });

  it('should report every task it runs', async () => {
    const seen: string[] = [];
    const scheduler = createSimScheduler(scriptedChoices([]), {
      observe: (label, pending) => seen.push(`${label}/${pending}`),
    });
    scheduler.schedule({ label: 'a', run: () => {} });
    scheduler.schedule({ label: 'b', run: () => {} });
    expect(await scheduler.runNext()).toBe('a');
    expect(await scheduler.runNext()).toBe('b');
    expect(await scheduler.runNext()).toBeUndefined();
    expect(seen).toEqual(['a/2', 'b/1']);
    expect(() => createSimScheduler(scriptedChoices([]), { maxDelay: -1 })).toThrow(RangeError);
  });
});

describe('scopedScheduler', () => {
  it('should drop the tasks of a dead scope and refuse new ones', async () => {
    const scheduler = createSimScheduler(scriptedChoices([]));
    const scope: TaskScope = { name: 'runtime#1', alive: true };
    const scoped = scopedScheduler(scheduler, scope);
    const ran: string[] = [];
    scoped.schedule({ label: 'a', run: () => ran.push('a') });
    scheduler.schedule({ label: 'outside', run: () => ran.push('outside') });
    scoped.schedule({ label: 'b', run: () => ran.push('b') });
    await scheduler.runNext();
    scope.alive = false;
    scheduler.dropScope(scope);
    scoped.schedule({ label: 'c', run: () => ran.push('c') });
    while ((await scheduler.runNext()) !== undefined);
    expect(ran).toEqual(['a', 'outside']);
  });
});

describe('fastCheckSimScheduler', () => {
  it('should let fc.scheduler() pick the order, reproducibly', async () => {
    const orders: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const ran: string[] = [];
        const scheduler = fastCheckSimScheduler(s);
        for (const l of ['a', 'b', 'c', 'd']) scheduler.schedule({ label: l, run: () => ran.push(l) });
        expect(scheduler.pending()).toBe(4);
        while ((await scheduler.runNext()) !== undefined);
        expect([...ran].sort()).toEqual(['a', 'b', 'c', 'd']);
        expect(scheduler.pending()).toBe(0);
        orders.push(ran.join(''));
      }),
      { seed: 99, numRuns: 30 },
    );
    expect(new Set(orders).size).toBeGreaterThan(3);
  });
});
