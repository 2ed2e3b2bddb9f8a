import { describe, expect, it } from 'vitest';
import { wallClock } from '../../../src/index.js';
import { ownWritesScenario } from '../../runtime/controller/own-writes.js';
import { useEtcd } from './support.js';

const etcd = useEtcd();

describe('the controller runtime on an etcd store: its own writes', () => {
  it('should not wake a controller for its own finalizer writes, though events are decoded copies', async () => {
    const s = ownWritesScenario(etcd.state(), wallClock, { inputs: 64 });
    try {
      await s.setUp();
      const before = s.runs();
      await s.phase(1, 20_000, 16);
      expect(s.runs() - before).toBe(1);
    } finally {
      await s.runtime.stop();
    }
  }, 300_000);
});
