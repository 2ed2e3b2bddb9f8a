import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { servicesAtImage, waitReady } from '../../../src/node/lifecycle/boot-services.js';
import { parseNodeImage } from '../../../src/node/lifecycle/node-image.js';
import type { ServiceDefinition } from '../../../src/node/supervisor/service.js';
import { MachineStatuses, machineStatusId } from '../../../src/resources/runtime/machine-status.js';
import { createState } from '../../../src/runtime/state/create-state.js';
import { createVirtualClock, flushMicrotasks } from '../../../src/testing/index.js';

const etcd: ServiceDefinition = {
  id: 'etcd',
  process: () => ({ id: 'etcd', command: 'etcd', args: [] }),
  restart: { kind: 'forever' },
};

describe('services at an image', () => {
  it('should leave services alone at an image that breaks none', () => {
    expect(servicesAtImage([etcd], parseNodeImage({ version: 'v1.0.0' }))).toEqual([etcd]);
  });

  it('should hold back a service the image breaks, and add one it names but the node lacks', async () => {
    const image = parseNodeImage({ version: 'v2.0.0', failingServices: ['etcd', 'apid'] });
    const [held, added] = servicesAtImage([etcd], image);
    expect(held?.process).toBe(etcd.process);
    expect(await held?.condition?.missing()).toEqual(['etcd does not work at v2.0.0']);
    expect(added?.id).toBe('apid');
    expect(await added?.condition?.missing()).toEqual(['apid does not work at v2.0.0']);
  });
});

/** A supervisor's view the test drives: each service's state and whether it is up. */
function fakeServices(initial: Record<string, { state: string; up: boolean }>) {
  const services = new Map(Object.entries(initial));
  const changes = new Subject<void>();
  return {
    list: () => [...services].map(([id, s]) => ({ id, state: s.state })),
    isUp: (id: string) => services.get(id)?.up ?? false,
    changes: () => changes.asObservable(),
    set(id: string, s: { state: string; up: boolean }) {
      services.set(id, s);
      changes.next();
    },
  };
}

describe('waiting for the boot to finish', () => {
  const readyStatus = MachineStatuses.make(machineStatusId, {
    stage: 'booting',
    status: { ready: true, unmetConditions: [] },
  });

  it('should wait for a running service whose first health check has not passed, though MachineStatus says ready', async () => {
    const clock = createVirtualClock();
    const state = createState();
    await state.create(readyStatus);
    // Running, its health not checked yet: MachineStatus counts it ready (health unknown).
    const services = fakeServices({
      etcd: { state: 'Running', up: false },
      install: { state: 'Finished', up: true },
    });
    let booted = false;
    const waiting = waitReady(state, services, clock, 60_000, new AbortController().signal).then(() => {
      booted = true;
    });
    await flushMicrotasks();
    expect(booted).toBe(false);
    services.set('etcd', { state: 'Running', up: true });
    await waiting;
    expect(booted).toBe(true);
  });

  it('should name the services not up when the boot times out', async () => {
    const clock = createVirtualClock();
    const state = createState();
    await state.create(readyStatus);
    const services = fakeServices({ etcd: { state: 'Running', up: false } });
    const waiting = waitReady(state, services, clock, 60_000, new AbortController().signal);
    const failed = expect(waiting).rejects.toThrow(
      'the node was not ready within 60000 ms: services not up yet: etcd',
    );
    await clock.advance(60_000);
    await failed;
  });
});
