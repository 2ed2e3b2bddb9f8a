import { describe, expect, it } from 'vitest';
import { createState } from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { ownWritesScenario } from './own-writes.js';

describe('runtime: a controller’s own writes (in memory)', () => {
  it('should not wake a controller for 200k of its own finalizer writes', async () => {
    const clock = createVirtualClock();
    const s = ownWritesScenario(createState({ clock }), clock, { inputs: 100 });
    try {
      await s.setUp();
      const before = s.runs();
      await s.phase(1, 200_000, 16);
      expect(s.runs() - before).toBe(1);
    } finally {
      await s.runtime.stop();
    }
  }, 120_000);

  it('should still not wake it for its own writes after an overrun lost some of their events', async () => {
    const clock = createVirtualClock();
    const state = createState({ clock, history: { initialCapacity: 32, maxCapacity: 32, gap: 4 } });
    const s = ownWritesScenario(state, clock, { inputs: 100 });
    try {
      await s.setUp();
      // One transaction of 100 holds overruns a history of 32: those events are lost, and re-listed.
      await s.phase(1, 100, 100);
      const kind = Object.values(s.runtime.metrics().kinds).find((k) => k.type.startsWith('Ints'));
      expect(kind!.relists).toBeGreaterThan(0);
      const before = s.runs();
      await s.phase(2, 20_000, 8);
      expect(s.runs() - before).toBe(1);
    } finally {
      await s.runtime.stop();
    }
  }, 120_000);
});
