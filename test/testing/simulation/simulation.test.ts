import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineQController, input, output } from '../../../src/runtime/controller/index.js';
import { transformController } from '../../../src/runtime/controller/transform.js';
import { isNotFoundError } from '../../../src/runtime/errors.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { scriptedChoices } from '../../../src/testing/simulation/seeded-random.js';
import { createSimulation, type Simulation } from '../../../src/testing/simulation/simulation.js';

const Ints = defineResource({ type: 'Ints.sim.test.converge.dev', spec: z.object({ value: z.number() }) });
const Strs = defineResource({ type: 'Strs.sim.test.converge.dev', spec: z.object({ value: z.string() }) });
const Ticks = defineResource({ type: 'Ticks.sim.test.converge.dev', spec: z.object({ n: z.number() }) });

const IntToStr = transformController({
  name: 'IntToStr',
  inputFinalizers: true,
  input: Ints,
  output: Strs,
  map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
});

async function strs(sim: Simulation): Promise<[string, string][]> {
  return (await sim.resources(Strs)).map((s) => [s.metadata.id, s.spec.value]);
}

async function churn(sim: Simulation): Promise<void> {
  await sim.start();
  for (let n = 0; n < 4; n++) {
    await sim.user.create(Ints.make(`i${n}`, { value: n }));
    await sim.interleave();
  }
  await sim.user.updateWithConflicts(Ints.pointer('i1'), (d) => {
    d.spec.value = 10;
  });
  await sim.interleave();
  sim.destroyInBackground(Ints.pointer('i2'));
  await sim.interleave();
}

describe('createSimulation', () => {
  it('should replay the same run step for step from the same seed, and another from another seed', async () => {
    const run = async (seed: number) => {
      const sim = createSimulation({
        controllers: () => [IntToStr],
        seed,
        faults: { writeConflict: 0.2, crash: 0.05, reconcileThrows: 0.2, clockJump: 0.05 },
      });
      await churn(sim);
      sim.heal();
      const settled = await sim.runUntilSettled();
      return { trace: sim.trace.format().join('\n'), settled, strs: await strs(sim) };
    };
    const a = await run(42);
    const b = await run(42);
    expect(b.trace).toBe(a.trace);
    expect(b.settled).toEqual(a.settled);
    const traces = new Set<string>([a.trace]);
    for (let seed = 1; seed <= 5; seed++) traces.add((await run(seed)).trace);
    expect(traces.size).toBeGreaterThan(4);
    expect(a.settled.settled).toBe(true);
    expect(a.strs).toEqual([
      ['i0', '0'],
      ['i1', '10'],
      ['i3', '3'],
    ]);
  });

  it('should converge from crashes anywhere and graceful restarts, on the same store', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const sim = createSimulation({
        controllers: () => [IntToStr],
        seed,
        faults: { crash: 0.1, restart: 0.02 },
      });
      await churn(sim);
      sim.heal();
      expect((await sim.runUntilSettled()).settled).toBe(true);
      expect(await strs(sim)).toEqual([
        ['i0', '0'],
        ['i1', '10'],
        ['i3', '3'],
      ]);
      expect(await sim.violations()).toEqual([]);
    }
  });

  it('should crash and restart on request, abandoning the reconcile in flight', async () => {
    const sim = createSimulation({ controllers: () => [IntToStr], choices: scriptedChoices([]) });
    await sim.start();
    await sim.user.create(Ints.make('a', { value: 1 }));
    await sim.step();
    await sim.step();
    await sim.crash();
    expect(sim.incarnations).toBe(2);
    expect(sim.trace.entries().some((e) => e.text.includes('crash on request: runtime #1 dies'))).toBe(true);
    expect((await sim.runUntilSettled()).settled).toBe(true);
    expect(await strs(sim)).toEqual([['a', '1']]);
    await sim.restart();
    expect(sim.incarnations).toBe(3);
    expect(await sim.violations()).toEqual([]);
  });

  it('should wait out requeues and backoffs in virtual time', async () => {
    let failures = 2;
    const Slow = defineController({
      name: 'Slow',
      inputs: [input.weak(Ints)],
      outputs: [output.exclusive(Ticks)],
      async reconcile(ctx) {
        if (failures-- > 0) throw new Error('not yet');
        const tick = await ctx.get(Ticks.pointer('t')).catch((e: unknown) => {
          if (isNotFoundError(e)) return undefined;
          throw e;
        });
        if (tick === undefined) {
          await ctx.create(Ticks.make('t', { n: 0 }));
          return ctx.requeueAfter(30_000);
        }
        if (tick.spec.n < 3) {
          await ctx.modify(tick, (d) => {
            d.spec.n += 1;
          });
          return ctx.requeueAfter(30_000);
        }
        return undefined;
      },
    });
    const sim = createSimulation({ controllers: () => [Slow], choices: scriptedChoices([]) });
    await sim.start();
    const result = await sim.runUntilSettled();
    expect(result.settled).toBe(true);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(90_000);
    expect((await sim.resources(Ticks))[0]?.spec).toEqual({ n: 3 });
    expect(sim.controllerSummaries().Slow?.last?.outcome).toBe('ok');
  });

  it('should settle while only a periodic requeue remains and nothing changes', async () => {
    const Poll = defineController({
      name: 'Poll',
      inputs: [input.weak(Ints)],
      outputs: [output.exclusive(Ticks)],
      async reconcile(ctx) {
        await ctx.modify(Ticks.make('t', { n: 0 }), () => {});
        return ctx.requeueAfter(5_000);
      },
    });
    const sim = createSimulation({ controllers: () => [Poll], seed: 1 });
    await sim.start();
    const result = await sim.runUntilSettled({ quietMs: 60_000 });
    expect(result.settled).toBe(true);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(60_000);
    expect(result.elapsedMs).toBeLessThan(70_000);
    expect(sim.controllerSummaries().Poll?.last?.outcome).toBe('requeue');
  });

  it('should fail the run with a clear message when a controller keeps re-triggering itself', async () => {
    const Storm = defineController({
      name: 'Storm',
      inputs: [input.weak(Ticks)],
      outputs: [output.exclusive(Ticks)],
      async reconcile(ctx) {
        await ctx.modify(Ticks.make('t', { n: 0 }), (d) => {
          d.spec.n += 1;
        });
      },
    });
    const sim = createSimulation({ controllers: () => [Storm], seed: 3, stormThreshold: 50 });
    await sim.start();
    const result = await sim.runUntilSettled();
    expect(result).toMatchObject({ settled: false, reason: 'a reconcile storm' });
    const storm = sim.monitor.violations.find((v) => v.invariant === 'reconcileStorm');
    expect(storm?.message).toMatch(
      /^reconcile storm: Storm reconciled Storm 51 times since the last input change; it keeps re-triggering itself \(its writes meanwhile: Ticks\.sim\.test\.converge\.dev\(default\/t\) x5\d\)$/,
    );
  });

  it('should report a reconcile that waits on something the simulation does not drive', async () => {
    const Hang = defineController({
      name: 'Hang',
      inputs: [input.weak(Ints)],
      outputs: [output.exclusive(Strs)],
      reconcile: () => new Promise<void>(() => {}),
    });
    const sim = createSimulation({ controllers: () => [Hang], seed: 1 });
    await sim.start();
    const result = await sim.runUntilSettled();
    expect(result).toMatchObject({ settled: false, reason: '1 reconcile(s) never finished' });
    expect(sim.monitor.violations.map((v) => v.message)).toEqual([
      "Hang's reconcile of Hang never finished: it waits on something the simulation does not drive",
    ]);
  });

  it('should find finalizers left behind by a controller that no longer exists', async () => {
    const sim = createSimulation({ controllers: () => [IntToStr], seed: 2 });
    await sim.start();
    await sim.user.create(Ints.make('a', { value: 1 }));
    expect((await sim.runUntilSettled()).settled).toBe(true);
    expect(await sim.violations()).toEqual([]);
    await sim.restart({ controllers: () => [] });
    expect((await sim.runUntilSettled()).settled).toBe(true);
    expect((await sim.violations()).map((v) => v.message)).toEqual([
      'Ints.sim.test.converge.dev(default/a) carries finalizer(s) IntToStr of no running controller',
    ]);
  });

  it('should flag a write that reaches the store under a controller name for a type it does not declare', async () => {
    const sim = createSimulation({ controllers: () => [IntToStr], seed: 2 });
    await sim.start();
    await sim.user.create(Ticks.make('x', { n: 1 }), { owner: 'IntToStr' });
    expect((await sim.violations()).map((v) => v.invariant)).toEqual(['undeclaredWrite']);
  });

  it('should let the seed decide when async work inside a reconcile completes', async () => {
    const orders = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const sim = createSimulation({ controllers: () => [], seed });
      const done: string[] = [];
      const work = sim.scheduleFunction(async (name: string) => name, 'lookup');
      const all = Promise.all(['x', 'y', 'z'].map((n) => work(n).then((v) => done.push(v))));
      await sim.runUntil(all, 'the lookups');
      orders.add(done.join(''));
    }
    expect(orders.size).toBeGreaterThan(2);
  });

  it('should hand a controller factory the simulation, and load it afresh for every runtime', async () => {
    let loads = 0;
    const sim = createSimulation({
      seed: 4,
      faults: { crash: 0.2 },
      controllers: (s) => {
        loads++;
        const lookup = s.scheduleFunction(async (value: number) => String(value), 'lookup');
        return [
          defineController({
            name: 'Lookup',
            inputs: [input.weak(Ints)],
            outputs: [output.exclusive(Strs)],
            async reconcile(ctx) {
              ctx.trackOutputs();
              for (const i of await ctx.list(Ints.kind())) {
                const value = await lookup(i.spec.value);
                await ctx.modify(Strs.make(i.metadata.id, { value: '' }), (d) => {
                  d.spec.value = value;
                });
              }
              await ctx.cleanupOutputs(Strs.kind());
            },
          }),
        ];
      },
    });
    await churn(sim);
    sim.heal();
    expect((await sim.runUntilSettled()).settled).toBe(true);
    expect(await strs(sim)).toEqual([
      ['i0', '0'],
      ['i1', '10'],
      ['i3', '3'],
    ]);
    expect(loads).toBe(sim.incarnations);
    expect(sim.incarnations).toBeGreaterThan(1);
    expect(sim.trace.entries().some((e) => e.text === 'complete lookup')).toBe(true);
  });

  it('should run queue controllers, one key at a time', async () => {
    const Echo = defineQController({
      name: 'Echo',
      concurrency: 3,
      inputs: [input.primary(Ints)],
      outputs: [output.exclusive(Strs)],
      async reconcile(ctx, pointer) {
        // Only "not found" means gone: any other error (an injected one too) must fail the reconcile.
        const i = await ctx.get(Ints.pointer(pointer.id)).catch((e: unknown) => {
          if (isNotFoundError(e)) return undefined;
          throw e;
        });
        if (i === undefined) {
          await ctx.teardownAndDestroy(Strs.pointer(pointer.id));
          return;
        }
        await ctx.modify(Strs.make(pointer.id, { value: '' }), (d) => {
          d.spec.value = String(i.spec.value);
        });
      },
    });
    for (let seed = 0; seed < 10; seed++) {
      const sim = createSimulation({
        controllers: () => [Echo],
        seed,
        faults: { reconcileThrows: 0.2, writeConflict: 0.2 },
      });
      await churn(sim);
      sim.heal();
      expect((await sim.runUntilSettled()).settled).toBe(true);
      expect(await strs(sim)).toEqual([
        ['i0', '0'],
        ['i1', '10'],
        ['i3', '3'],
      ]);
      expect(sim.monitor.violations).toEqual([]);
    }
  });

  it('should refuse bad options and misuse with clear errors', async () => {
    expect(() => createSimulation({ controllers: () => [], faults: { crash: 2 } })).toThrow(
      'fault rate crash must be a number in [0, 1], got 2',
    );
    expect(() => createSimulation({ controllers: undefined as never })).toThrow(
      /controllers must be a factory/,
    );
    // A list would share its instances' closures across runs: refused, with the way to write it.
    expect(() => createSimulation({ controllers: [IntToStr] as never })).toThrow(
      'createSimulation: controllers must be a factory, e.g. `controllers: () => [MyController]`',
    );
    const sim = createSimulation({ controllers: () => [] });
    expect(() => sim.runtime).toThrow(/not started/);
    await sim.start();
    await expect(sim.start()).rejects.toThrow(/already started/);
  });
});
