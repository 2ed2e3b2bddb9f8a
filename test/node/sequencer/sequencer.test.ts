import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/node/events/event-bus.js';
import type { MachineEvent } from '../../../src/node/events/machine-event.js';
import { type MachineStage, nextStage } from '../../../src/node/machine-stage.js';
import { isSequenceError, type Sequence, type SequenceTask } from '../../../src/node/sequencer/sequence.js';
import { createSequencer } from '../../../src/node/sequencer/sequencer.js';
import { createVirtualClock } from '../../../src/testing/virtual-clock.js';

const silent = pino({ level: 'silent' });

function setup() {
  const clock = createVirtualClock();
  const bus = createEventBus({ clock });
  const sequencer = createSequencer({ bus, clock, logger: silent });
  const seen = (): string[] =>
    bus.recent().map((e) => {
      const what =
        e.type === 'sequence'
          ? e.sequence
          : e.type === 'phase'
            ? e.phase
            : e.type === 'task'
              ? e.task
              : e.type;
      const error = 'error' in e && e.error ? `!${e.error.code}` : '';
      return `${e.type}:${what}:${'action' in e ? e.action : ''}${error}`;
    });
  return { clock, bus, sequencer, seen };
}

const task = (name: string, run: SequenceTask['run'] = () => {}): SequenceTask => ({ name, run });

/** A task that runs until its sequence is cancelled. */
const untilCancelled = (name: string): SequenceTask =>
  task(
    name,
    ({ signal }) =>
      new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  );

describe('createSequencer', () => {
  it('should run phases in order, the tasks of a phase in parallel, with an event for each start and stop', async () => {
    const { sequencer, seen } = setup();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const boot: Sequence = {
      name: 'boot',
      phases: [
        {
          name: 'ephemeral',
          tasks: [
            task('slow', async () => {
              order.push('slow start');
              await gate;
              order.push('slow end');
            }),
            task('fast', () => {
              order.push('fast');
              release();
            }),
          ],
        },
        {
          name: 'skipped',
          tasks: [
            task('never', () => {
              order.push('never');
            }),
          ],
          skip: () => true,
        },
        {
          name: 'startEverything',
          tasks: [
            task('startAllServices', () => {
              order.push('services');
            }),
          ],
        },
      ],
    };
    await sequencer.run(boot);
    expect(order).toEqual(['slow start', 'fast', 'slow end', 'services']);
    expect(seen()).toEqual([
      'sequence:boot:start',
      'phase:ephemeral:start',
      'task:slow:start',
      'task:fast:start',
      'task:fast:stop',
      'task:slow:stop',
      'phase:ephemeral:stop',
      'phase:startEverything:start',
      'task:startAllServices:start',
      'task:startAllServices:stop',
      'phase:startEverything:stop',
      'sequence:boot:stop',
    ]);
    expect(sequencer.current()).toBeUndefined();
  });

  it('should fail the sequence as fatal when a task throws, after the other tasks of its phase finish', async () => {
    const { sequencer, seen } = setup();
    let otherFinished = false;
    const run = sequencer.run({
      name: 'boot',
      phases: [
        {
          name: 'p',
          tasks: [
            task('broken', () => {
              throw new Error('disk missing');
            }),
            task('other', async () => {
              await Promise.resolve();
              otherFinished = true;
            }),
          ],
        },
        { name: 'after', tasks: [task('never')] },
      ],
    });
    await expect(run).rejects.toSatisfy(
      (e) => isSequenceError(e, 'fatal') && /disk missing/.test((e as Error).message),
    );
    expect(otherFinished).toBe(true);
    expect(seen().at(-1)).toBe('sequence:boot:stop!fatal');
    expect(seen()).not.toContain('phase:after:start');
  });

  it('should refuse a sequence that may not take over the running one, as locked, and leave it running', async () => {
    const { sequencer, seen } = setup();
    const upgrade = sequencer.run({
      name: 'upgrade',
      phases: [{ name: 'upgrade', tasks: [untilCancelled('install')] }],
    });
    await Promise.resolve();
    await expect(sequencer.run({ name: 'reset', phases: [] })).rejects.toSatisfy((e) =>
      isSequenceError(e, 'locked'),
    );
    expect(sequencer.current()).toBe('upgrade');
    expect(seen()).toContain('sequence:reset:stop!locked');
    await sequencer.cancel();
    await expect(upgrade).rejects.toSatisfy((e) => isSequenceError(e, 'canceled'));
  });

  it('should let reboot take over boot: boot is cancelled, then reboot runs', async () => {
    const { sequencer, seen } = setup();
    const boot = sequencer.run({
      name: 'boot',
      phases: [{ name: 'startEverything', tasks: [untilCancelled('startAllServices')] }],
    });
    await Promise.resolve();
    const rebooted: string[] = [];
    await sequencer.run({
      name: 'reboot',
      phases: [
        {
          name: 'reboot',
          tasks: [
            task('reboot', () => {
              rebooted.push('yes');
            }),
          ],
        },
      ],
    });
    await expect(boot).rejects.toSatisfy((e) => isSequenceError(e, 'canceled'));
    expect(rebooted).toEqual(['yes']);
    const events = seen();
    expect(events.indexOf('sequence:boot:stop!canceled')).toBeLessThan(
      events.indexOf('sequence:reboot:start'),
    );
  });

  it('should refuse a takeover as locked when the running sequence does not cancel within the timeout', async () => {
    const { sequencer, clock } = setup();
    let finish!: () => void;
    const stubborn = sequencer.run({
      name: 'boot',
      phases: [
        {
          name: 'p',
          tasks: [
            task(
              'ignoresCancel',
              () =>
                new Promise<void>((resolve) => {
                  finish = resolve;
                }),
            ),
          ],
        },
      ],
    });
    await Promise.resolve();
    const reboot = sequencer.run({ name: 'reboot', phases: [] });
    const refused = expect(reboot).rejects.toSatisfy(
      (e) => isSequenceError(e, 'locked') && /did not cancel/.test((e as Error).message),
    );
    await clock.advance(60_000);
    await refused;
    expect(sequencer.current()).toBe('boot');
    finish();
    await expect(stubborn).rejects.toSatisfy((e) => isSequenceError(e, 'canceled'));
  });
});

describe('nextStage', () => {
  it('should follow Talos: booting, running, upgrading, and rebooting after a fatal error', async () => {
    const { sequencer, bus } = setup();
    const stages: MachineStage[] = [];
    let stage: MachineStage = 'unknown';
    bus.events().subscribe((e: MachineEvent) => {
      const next = nextStage(stage, e);
      if (next !== stage) stages.push(next);
      stage = next;
    });
    await sequencer.run({
      name: 'initialize',
      phases: [{ name: 'config', tasks: [task('runningMaintenance')] }],
    });
    await sequencer.run({
      name: 'boot',
      phases: [{ name: 'startEverything', tasks: [task('startAllServices')] }],
    });
    await sequencer.run({ name: 'upgrade', phases: [{ name: 'upgrade', tasks: [task('install')] }] });
    await sequencer
      .run({
        name: 'boot',
        phases: [
          {
            name: 'p',
            tasks: [
              task('x', () => {
                throw new Error('boom');
              }),
            ],
          },
        ],
      })
      .catch(() => {});
    await sequencer.run({ name: 'shutdown', phases: [] });
    expect(stages).toEqual([
      'booting',
      'maintenance',
      'booting',
      'running',
      'upgrading',
      'booting',
      'rebooting',
      'shutting down',
    ]);
  });
});

describe('createEventBus', () => {
  it('should number events, replay a tail or resume after an id, then stream live without repeats', () => {
    const clock = createVirtualClock();
    const bus = createEventBus({ clock, capacity: 3 });
    for (let i = 0; i < 5; i++) bus.publish({ type: 'config', action: 'applied', message: `#${i}` });
    expect(bus.recent().map((e) => e.id)).toEqual([3, 4, 5]);
    const tail: number[] = [];
    const since: number[] = [];
    bus.events({ tail: 2 }).subscribe((e) => tail.push(e.id));
    bus.events({ sinceId: 3 }).subscribe((e) => since.push(e.id));
    bus.publish({ type: 'config', action: 'applied', message: 'live' });
    expect(tail).toEqual([4, 5, 6]);
    expect(since).toEqual([4, 5, 6]);
    expect(bus.recent().at(-1)?.time).toBe(new Date(clock.now()).toISOString());
  });
});
