import { createSimulatedPlatform } from '../../src/platform/simulated/create-simulated-platform.js';
import { createVirtualClock, flushMicrotasks } from '../../src/testing/virtual-clock.js';
import { describeNetworkBehaviour } from './helpers/network-behaviour.js';

describeNetworkBehaviour('simulated', async () => {
  const platform = createSimulatedPlatform({ clock: createVirtualClock(), seed: 7 });
  return {
    network: platform.network,
    addCabledLink: async (name) => platform.faults.plugLink({ name }),
    settle: flushMicrotasks,
    close: () => platform.close(),
  };
});
