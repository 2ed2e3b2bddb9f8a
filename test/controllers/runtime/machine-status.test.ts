import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { machineStatusController } from '../../../src/controllers/runtime/machine-status-controller.js';
import { serviceController } from '../../../src/controllers/runtime/service-controller.js';
import { createEventBus } from '../../../src/node/events/event-bus.js';
import { createSequencer } from '../../../src/node/sequencer/sequencer.js';
import { trackStage } from '../../../src/node/stage-tracker.js';
import { createSupervisor } from '../../../src/node/supervisor/supervisor.js';
import { createScriptedProcesses } from '../../../src/platform/processes/scripted-processes.js';
import { NetworkStatuses } from '../../../src/resources/network/network-status.js';
import { MachineStatuses } from '../../../src/resources/runtime/machine-status.js';
import { Services } from '../../../src/resources/runtime/service.js';
import { TimeStatuses } from '../../../src/resources/time/time-status.js';
import { createRuntime } from '../../../src/runtime/controller/runtime.js';
import { createState } from '../../../src/runtime/state/create-state.js';
import { createVirtualClock } from '../../../src/testing/virtual-clock.js';

const silent = pino({ level: 'silent' });

function setup() {
  const clock = createVirtualClock();
  const bus = createEventBus({ clock });
  const state = createState({ clock });
  const sequencer = createSequencer({ bus, clock, logger: silent });
  let healthy = false;
  const supervisor = createSupervisor({
    clock,
    bus,
    processes: createScriptedProcesses({ clock, programs: { etcd: () => {} } }),
  });
  const stage = trackStage(bus);
  const runtime = createRuntime({ state, clock, logger: silent });
  runtime.register(
    serviceController({
      list: () => supervisor.list(),
      changes: () => bus.events(),
    }),
  );
  runtime.register(
    machineStatusController({
      stage: stage.stage,
      stageChanges: stage.changes,
      requiredServices: () => ['etcd'],
    }),
  );
  const etcd = {
    id: 'etcd',
    process: () => ({ id: 'etcd', command: 'etcd', args: [] }),
    restart: { kind: 'forever' as const },
    health: {
      periodMs: 1_000,
      check: async () => {
        if (!healthy) throw new Error('no quorum');
      },
    },
  };
  const settle = async () => {
    await clock.advance(0);
    await runtime.settled();
  };
  const machine = async () => (await state.get(MachineStatuses.pointer('machine'))).spec;
  return {
    clock,
    state,
    runtime,
    sequencer,
    supervisor,
    etcd,
    settle,
    machine,
    setHealthy: (h: boolean) => (healthy = h),
  };
}

describe('MachineStatusController and ServiceController', () => {
  it('should name every unmet condition while booting, and be ready once all are met', async () => {
    const t = setup();
    await t.runtime.start();
    const boot = t.sequencer.run({
      name: 'boot',
      phases: [
        {
          name: 'startEverything',
          tasks: [{ name: 'startAllServices', run: () => t.supervisor.start('etcd') }],
        },
      ],
    });
    t.supervisor.load(t.etcd);
    await boot;
    await t.settle();
    // Boot finished: running, with time, network and a healthy etcd still missing.
    expect(await t.machine()).toEqual({
      stage: 'running',
      status: {
        ready: false,
        unmetConditions: [
          { name: 'time', reason: 'time is not synced' },
          { name: 'network', reason: 'waiting for: address, connectivity, hostname, etcfiles' },
          { name: 'services', reason: 'not healthy: etcd' },
        ],
      },
    });
    expect((await t.state.get(Services.pointer('etcd'))).spec).toEqual({
      running: true,
      healthy: false,
      unknown: false,
    });
    t.setHealthy(true);
    await t.state.create(TimeStatuses.make('node', { synced: true }));
    await t.state.create(
      NetworkStatuses.make('status', {
        addressReady: true,
        connectivityReady: true,
        hostnameReady: true,
        etcFilesReady: true,
      }),
    );
    await t.clock.advance(1_000);
    await t.settle();
    expect(await t.machine()).toEqual({ stage: 'running', status: { ready: true, unmetConditions: [] } });
    await t.supervisor.stop('etcd');
    await t.settle();
    await expect(t.state.get(Services.pointer('etcd'))).rejects.toThrow(/not found/);
    expect((await t.machine()).status).toEqual({
      ready: false,
      unmetConditions: [{ name: 'services', reason: 'not running: etcd' }],
    });
    await t.runtime.stop();
  });

  it('should follow the stage through an upgrade and report it not ready', async () => {
    const t = setup();
    await t.runtime.start();
    await t.sequencer.run({ name: 'boot', phases: [] });
    const upgrade = t.sequencer.run({
      name: 'upgrade',
      phases: [{ name: 'upgrade', tasks: [{ name: 'install', run: () => t.settle() }] }],
    });
    await upgrade;
    await t.settle();
    expect(await t.machine()).toEqual({
      stage: 'upgrading',
      status: { ready: false, unmetConditions: [{ name: 'stage', reason: 'the machine is upgrading' }] },
    });
    await t.runtime.stop();
  });
});
