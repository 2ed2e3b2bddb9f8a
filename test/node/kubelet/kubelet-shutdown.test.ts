import { expect, it } from 'vitest';
import { createEventBus } from '../../../src/node/events/event-bus.js';
import { createScriptedProcesses } from '../../../src/node/index.js';
import { createSupervisor } from '../../../src/node/supervisor/supervisor.js';
import { createVirtualClock } from '../../../src/testing/index.js';

it('a kubelet restart asked for while the node shuts down starts nothing again', async () => {
  const clock = createVirtualClock();
  let starts = 0;
  const processes = createScriptedProcesses({
    clock,
    programs: {
      kubelet: () => {
        starts++;
      },
    },
  });
  const supervisor = createSupervisor({ clock, bus: createEventBus({ clock }), processes });
  supervisor.loadAndStart({
    id: 'kubelet',
    process: () => ({ id: 'kubelet', command: 'kubelet', args: [] }),
    restart: { kind: 'forever' },
  });
  await clock.advance(0);
  await clock.advance(0);
  expect(supervisor.status('kubelet').state).toBe('Running');
  expect(starts).toBe(1);

  // k8s.KubeletServiceController saw a new spec just as the shutdown began.
  supervisor.denyNewServices();
  const restart = supervisor.restart('kubelet');
  await supervisor.stopAll();
  await restart;
  await clock.advance(60_000);
  expect(supervisor.status('kubelet').state).toBe('Finished');
  expect(starts).toBe(1);
});
