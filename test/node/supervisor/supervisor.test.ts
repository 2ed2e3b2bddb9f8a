import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/node/events/event-bus.js';
import type { ServiceDefinition } from '../../../src/node/supervisor/service.js';
import { createSupervisor } from '../../../src/node/supervisor/supervisor.js';
import {
  createScriptedProcesses,
  type ScriptedProgram,
} from '../../../src/platform/processes/scripted-processes.js';
import { createVirtualClock } from '../../../src/testing/virtual-clock.js';

function setup(programs: Record<string, ScriptedProgram>) {
  const clock = createVirtualClock();
  const bus = createEventBus({ clock, capacity: 10_000 });
  const supervisor = createSupervisor({
    clock,
    bus,
    processes: createScriptedProcesses({ clock, programs }),
  });
  const history = (id: string) =>
    bus
      .recent()
      .flatMap((e) => (e.type === 'service' && e.service === id ? [`${e.state}: ${e.message}`] : []));
  return { clock, bus, supervisor, history };
}

const forever = (id: string, extra: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  id,
  process: () => ({ id, command: id, args: [] }),
  restart: { kind: 'forever', intervalMs: 1_000 },
  ...extra,
});

/** A program that runs until stopped. */
const daemon: ScriptedProgram = (p) => {
  p.write(`${p.spec.id} started`);
};

describe('createSupervisor', () => {
  it('should wait for its condition and its dependencies, naming what is missing, then run', async () => {
    const { supervisor, clock, history } = setup({ cri: daemon, etcd: daemon });
    const timeSynced = new BehaviorSubject(false);
    supervisor.loadAndStart(
      forever('etcd', {
        dependsOn: ['cri'],
        condition: {
          missing: async () => (timeSynced.value ? [] : ['time sync']),
          changes: () => timeSynced,
        },
      }),
    );
    await clock.runUntilIdle();
    expect(supervisor.status('etcd')).toMatchObject({
      state: 'Waiting',
      message: 'Waiting for service "cri" to be "up", time sync',
    });
    supervisor.loadAndStart(forever('cri'));
    await clock.runUntilIdle();
    expect(supervisor.status('etcd').message).toBe('Waiting for time sync');
    timeSynced.next(true);
    await clock.runUntilIdle();
    expect(supervisor.status('etcd').state).toBe('Running');
    expect(history('etcd').map((h) => h.split(':')[0])).toEqual([
      'Waiting',
      'Waiting',
      'Preparing',
      'Preparing',
      'Running',
    ]);
    expect(supervisor.logs('etcd').map((l) => l.line)).toEqual(['etcd started']);
    await supervisor.stopAll();
    expect(supervisor.status('cri').state).toBe('Finished');
  });

  it('should restart a crashing service forever, backing off and saying so', async () => {
    const { supervisor, clock } = setup({ flaky: (p) => p.exit(1) });
    supervisor.loadAndStart(forever('flaky'));
    // Not runUntilIdle: a crash loop always has its next restart timer pending.
    await clock.advance(0);
    expect(supervisor.status('flaky')).toMatchObject({ state: 'Waiting', restarts: 0 });
    expect(supervisor.status('flaky').message).toBe('Error running flaky: exit code 1, restarting in 1s');
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = clock.now();
      const restarts = supervisor.status('flaky').restarts;
      while (supervisor.status('flaky').restarts === restarts) await clock.advance(100);
      delays.push(clock.now() - before);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(supervisor.status('flaky').message).toMatch(/crash loop: 6 failed runs in a row, backing off/);
    await supervisor.stop('flaky');
    expect(supervisor.status('flaky').state).toBe('Finished');
  });

  it('should run a once service one time and an untilSuccess service until it exits 0', async () => {
    let attempts = 0;
    const { supervisor, clock } = setup({
      oneshot: (p) => p.exit(3),
      retry: (p) => p.exit(++attempts < 3 ? 1 : 0),
    });
    supervisor.loadAndStart({ ...forever('oneshot'), restart: { kind: 'once' } });
    supervisor.loadAndStart({ ...forever('retry'), restart: { kind: 'untilSuccess', intervalMs: 10 } });
    await clock.advance(1_000);
    expect(supervisor.status('oneshot')).toMatchObject({
      state: 'Failed',
      message: 'Error running oneshot: exit code 3',
    });
    expect(supervisor.status('retry')).toMatchObject({ state: 'Finished', restarts: 2 });
    expect(supervisor.isUp('retry')).toBe(true);
  });

  it('should report health transitions and never restart a process for failing health', async () => {
    let healthy = true;
    const { supervisor, clock, history } = setup({ api: daemon });
    supervisor.loadAndStart(
      forever('api', {
        health: {
          initialDelayMs: 100,
          periodMs: 1_000,
          check: async () => {
            if (!healthy) throw new Error('connection refused');
          },
        },
      }),
    );
    await clock.advance(50);
    expect(supervisor.isUp('api')).toBe(false);
    await clock.advance(100);
    expect(supervisor.status('api').healthy).toBe(true);
    expect(supervisor.isUp('api')).toBe(true);
    healthy = false;
    await clock.advance(5_000);
    expect(supervisor.status('api')).toMatchObject({
      state: 'Running',
      healthy: false,
      restarts: 0,
      message: 'Health check failed: connection refused',
    });
    healthy = true;
    await clock.advance(1_000);
    expect(history('api').slice(-3)).toEqual([
      'Running: Health check successful',
      'Running: Health check failed: connection refused',
      'Running: Health check successful',
    ]);
    await supervisor.stopAll();
  });

  it('should SIGKILL a service that ignores SIGTERM after its grace period', async () => {
    const { supervisor, clock } = setup({ stubborn: (p) => p.ignoreTerm() });
    supervisor.loadAndStart(forever('stubborn', { stopGraceMs: 3_000 }));
    await clock.runUntilIdle();
    const stopping = supervisor.stop('stubborn');
    await clock.advance(2_999);
    expect(supervisor.status('stubborn').state).toBe('Stopping');
    await clock.advance(1);
    await stopping;
    expect(supervisor.status('stubborn').state).toBe('Finished');
  });

  it('should stop dependents before what they depend on, and refuse new services once denied', async () => {
    const { supervisor, clock, bus } = setup({ cri: daemon, kubelet: daemon, etcd: daemon });
    supervisor.loadAndStart(forever('cri'));
    supervisor.loadAndStart(forever('etcd', { dependsOn: ['cri'] }));
    supervisor.loadAndStart(forever('kubelet', { dependsOn: ['cri'] }));
    await clock.runUntilIdle();
    await supervisor.stop('cri');
    const stops = bus
      .recent()
      .flatMap((e) => (e.type === 'service' && e.state === 'Stopping' ? [e.service] : []));
    expect(stops.at(-1)).toBe('cri');
    expect(new Set(stops)).toEqual(new Set(['cri', 'etcd', 'kubelet']));
    supervisor.denyNewServices();
    expect(() => supervisor.load(forever('late'))).toThrow(/accepts no new services/);
  });

  it('should keep a bounded log and let a follower read the tail, then new lines', async () => {
    const { supervisor, clock } = setup({
      chatty: (p) => {
        for (let i = 0; i < 2_500; i++) p.write(`line ${i}`);
      },
    });
    supervisor.loadAndStart(forever('chatty'));
    await clock.runUntilIdle();
    expect(supervisor.logs('chatty')).toHaveLength(2_000);
    expect(supervisor.logs('chatty', 2).map((l) => l.line)).toEqual(['line 2498', 'line 2499']);
    const followed: string[] = [];
    const sub = supervisor.followLogs('chatty', 1).subscribe((l) => followed.push(l.line));
    expect(followed).toEqual(['line 2499']);
    sub.unsubscribe();
    await supervisor.stopAll();
  });
});
