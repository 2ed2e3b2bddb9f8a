import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, output, source } from '../../../src/runtime/controller/index.js';
import { defineResource } from '../../../src/runtime/resource/define-resource.js';
import { createSimulation } from '../../../src/testing/simulation/simulation.js';

const Observed = defineResource({
  type: 'Observeds.sim.test.converge.dev',
  spec: z.object({ value: z.number() }),
});

/** A fake platform: a value that changes outside the state, with a change stream. */
function fakePlatform() {
  const changes = new Subject<number>();
  let open = 0;
  const platform = {
    value: 0,
    set(value: number) {
      platform.value = value;
      changes.next(value);
    },
    changes: () =>
      new Observable<number>((subscriber) => {
        open++;
        const inner = changes.subscribe(subscriber);
        return () => {
          open--;
          inner.unsubscribe();
        };
      }),
    open: () => open,
  };
  return platform;
}

function mirror(platform: ReturnType<typeof fakePlatform>) {
  return defineController({
    name: 'Mirror',
    inputs: [],
    outputs: [output.exclusive(Observed)],
    sources: [source('platform', () => platform.changes())],
    async reconcile(ctx) {
      const value = platform.value;
      await ctx.modify(Observed.make('world', { value }), (d) => {
        d.spec.value = value;
      });
    },
  });
}

async function run(seed: number, faults = {}) {
  const platform = fakePlatform();
  const sim = createSimulation({ controllers: () => [mirror(platform)], seed, faults });
  await sim.start();
  for (let n = 1; n <= 6; n++) {
    platform.set(n);
    await sim.interleave();
  }
  sim.heal();
  const settled = await sim.runUntilSettled();
  const world = await sim.user.get(Observed.pointer('world'));
  // One more change after settling: delivered once, by the live runtime only.
  platform.set(7);
  await sim.runUntilSettled();
  const after = await sim.user.get(Observed.pointer('world'));
  sim.dispose();
  return {
    trace: sim.trace.format().join('\n'),
    settled: settled.settled,
    value: world.spec.value,
    after: after.spec.value,
    open: platform.open(),
    incarnations: sim.incarnations,
  };
}

describe('simulation: external sources', () => {
  it('should deliver source emissions through the seeded scheduler, the same way for the same seed', async () => {
    const a = await run(11);
    const b = await run(11);
    expect(b.trace).toBe(a.trace);
    expect(a.trace).toContain('deliver source Mirror/platform');
    expect(a.settled).toBe(true);
    expect(a.value).toBe(6);
    expect(a.after).toBe(7);
    expect(a.open).toBe(0);
    const traces = new Set<string>();
    for (let seed = 0; seed < 6; seed++) traces.add((await run(seed)).trace);
    expect(traces.size).toBeGreaterThan(3);
  });

  it('should converge with crashes and restarts, leaving no subscription behind', async () => {
    let restarted = 0;
    for (let seed = 0; seed < 15; seed++) {
      const r = await run(seed, { crash: 0.1, restart: 0.05, reconcileThrows: 0.2 });
      expect(r.settled).toBe(true);
      expect(r.value).toBe(6);
      expect(r.after).toBe(7);
      if (r.incarnations > 1) restarted++;
      // Crashed runtimes' subscriptions close with them, the last one's with dispose().
      expect(r.open).toBe(0);
    }
    expect(restarted).toBeGreaterThan(0);
  });
});
