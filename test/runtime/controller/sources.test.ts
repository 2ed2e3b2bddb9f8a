import { Observable, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defineController,
  defineQController,
  type ExternalSource,
  input,
  isRegistrationError,
  output,
  source,
} from '../../../src/index.js';
import { type Harness, harness, Ints, memoryLogger, Strs } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

/** A source over a subject that counts its open subscriptions. */
function countedSource(name: string, subject: Subject<unknown>): ExternalSource & { open: () => number } {
  let open = 0;
  const s = source(
    name,
    () =>
      new Observable((subscriber) => {
        open++;
        const inner = subject.subscribe(subscriber);
        return () => {
          open--;
          inner.unsubscribe();
        };
      }),
  );
  return { ...s, open: () => open };
}

describe('runtime: external sources', () => {
  it('should wake a full controller on every emission, and show the source in metrics', async () => {
    h = harness();
    const { runtime } = h;
    const netlink = new Subject<unknown>();
    const world = { value: 1 };
    runtime.register(
      defineController({
        name: 'Mirror',
        inputs: [],
        outputs: [output.exclusive(Ints)],
        sources: [source('netlink', () => netlink)],
        async reconcile(ctx) {
          const value = world.value;
          await ctx.modify(Ints.make('world', { value }), (d) => {
            d.spec.value = value;
          });
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect((await h.state.get(Ints.pointer('world'))).spec.value).toBe(1);
    world.value = 2;
    netlink.next({ link: 'eth0' });
    await runtime.settled();
    expect((await h.state.get(Ints.pointer('world'))).spec.value).toBe(2);
    const m = runtime.metrics();
    expect(m.controllers.Mirror!.reconciles).toBe(2);
    expect(m.sources['Mirror/netlink']).toEqual({
      controller: 'Mirror',
      source: 'netlink',
      emissions: 1,
      errors: 0,
      resubscribes: 0,
    });
    expect(m.toPrometheus()).toContain(
      'converge_source_emissions_total{controller="Mirror",source="netlink"} 1',
    );
  });

  it('should coalesce emissions that arrive during a run into one more run', async () => {
    h = harness();
    const { runtime } = h;
    const changes = new Subject<unknown>();
    let runs = 0;
    let release: (() => void) | undefined;
    runtime.register(
      defineController({
        name: 'Slow',
        inputs: [],
        outputs: [],
        sources: [source('changes', () => changes)],
        async reconcile() {
          runs++;
          if (runs === 2) await new Promise<void>((resolve) => (release = resolve));
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(runs).toBe(1);
    changes.next(1);
    // The second run is under way and waits; five emissions arrive meanwhile.
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    for (let i = 0; i < 5; i++) changes.next(i);
    release!();
    await runtime.settled();
    expect(runs).toBe(3);
    expect(runtime.metrics().sources['Slow/changes']!.emissions).toBe(6);
  });

  it('should subscribe per runtime at start and unsubscribe on stop', async () => {
    h = harness();
    const { runtime } = h;
    const subject = new Subject<unknown>();
    const counted = countedSource('s', subject);
    let runs = 0;
    runtime.register(
      defineController({
        name: 'Counted',
        inputs: [],
        outputs: [],
        sources: [counted],
        reconcile() {
          runs++;
        },
      }),
    );
    expect(counted.open()).toBe(0);
    await runtime.start();
    expect(counted.open()).toBe(1);
    await runtime.settled();
    await runtime.stop();
    expect(counted.open()).toBe(0);
    subject.next(1);
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
  });

  it('should subscribe the sources of a controller registered after start', async () => {
    h = harness();
    const { runtime } = h;
    const subject = new Subject<unknown>();
    const counted = countedSource('late', subject);
    let runs = 0;
    await runtime.start();
    runtime.register(
      defineController({
        name: 'Late',
        inputs: [],
        outputs: [],
        sources: [counted],
        reconcile() {
          runs++;
        },
      }),
    );
    expect(counted.open()).toBe(1);
    await runtime.settled();
    subject.next(1);
    await runtime.settled();
    expect(runs).toBe(2);
  });

  it('should log a failing source, subscribe again after a backoff, and look again once back', async () => {
    const { logger, records } = memoryLogger('debug');
    h = harness({ logger, backoff: { initialMs: 1000, multiplier: 2, maxMs: 10_000, jitter: 0 } });
    const { runtime, clock } = h;
    let subscriptions = 0;
    const first = new Subject<unknown>();
    const live = new Subject<unknown>();
    const flaky = source('flaky', () => {
      subscriptions++;
      if (subscriptions === 1) return first;
      if (subscriptions === 2) throw new Error('netlink socket closed');
      return live;
    });
    let runs = 0;
    runtime.register(
      defineController({
        name: 'Watcher',
        inputs: [],
        outputs: [],
        sources: [flaky],
        reconcile() {
          runs++;
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    expect(runs).toBe(1);
    first.error(new Error('netlink overrun'));
    await runtime.settled();
    expect(runs).toBe(1);
    const failures = records.filter((r) => r.msg === 'external source failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 40,
      controller: 'Watcher',
      source: 'flaky',
      error: 'netlink overrun',
      attempt: 1,
      retryInMs: 1000,
    });
    expect((failures[0]!.err as { message: string }).message).toBe('netlink overrun');
    // The first resubscription throws: the same streak, so only at debug, with a longer backoff.
    await clock.advance(1000);
    expect(subscriptions).toBe(2);
    expect(records.filter((r) => r.msg === 'external source failed')).toHaveLength(1);
    expect(records.filter((r) => r.msg === 'external source failed again')).toMatchObject([
      { level: 20, error: 'netlink socket closed', attempt: 2, retryInMs: 2000 },
    ]);
    await clock.advance(2000);
    expect(subscriptions).toBe(3);
    await runtime.settled();
    // Changes may have been missed while the source was down: the controller looked again.
    expect(runs).toBe(2);
    expect(records.some((r) => r.msg === 'external source recovered')).toBe(false);
    live.next('up');
    await runtime.settled();
    expect(runs).toBe(3);
    // The first emission proves it back: one line, with how long it was down.
    expect(records.filter((r) => r.msg === 'external source recovered')).toMatchObject([
      { level: 30, controller: 'Watcher', source: 'flaky', failures: 2, failingForMs: 3000 },
    ]);
    expect(runtime.metrics().sources['Watcher/flaky']).toMatchObject({
      errors: 2,
      resubscribes: 2,
      emissions: 1,
    });
    expect(clock.pending()).toBe(0);
  });

  it('should queue every primary item again when a queue controller source emits', async () => {
    h = harness();
    const { runtime, state } = h;
    const changes = new Subject<unknown>();
    const seen: string[] = [];
    runtime.register(
      defineQController({
        name: 'PerItem',
        inputs: [input.primary(Ints)],
        outputs: [],
        sources: [source('changes', () => changes)],
        reconcile(_ctx, pointer) {
          seen.push(pointer.id);
        },
      }),
    );
    await state.create(Ints.make('a', { value: 1 }));
    await state.create(Ints.make('b', { value: 2 }));
    await runtime.start();
    await runtime.settled();
    expect(seen.sort()).toEqual(['a', 'b']);
    seen.length = 0;
    changes.next(1);
    changes.next(2);
    await runtime.settled();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('should show sources in the dependency graph as nodes of their own', () => {
    h = harness();
    const { runtime } = h;
    runtime.register(
      defineController({
        name: 'LinkStatusController',
        inputs: [input.weak(Strs)],
        outputs: [output.exclusive(Ints)],
        sources: [source('netlink', () => new Subject())],
        reconcile() {},
      }),
    );
    const graph = runtime.dependencyGraph();
    expect(graph.sources).toEqual([{ controller: 'LinkStatusController', source: 'netlink' }]);
    expect(graph.types).toEqual([Ints.type, Strs.type].sort());
    expect(graph.toDot()).toContain('"s:LinkStatusController:netlink" -> "c:LinkStatusController"');
    expect(graph.toMermaid()).toContain('s0{{"netlink"}}');
  });

  it('should refuse malformed or duplicate sources at registration', () => {
    h = harness();
    const { runtime } = h;
    const make = (sources: unknown) =>
      defineController({
        name: 'Bad',
        inputs: [],
        outputs: [],
        sources: sources as ExternalSource[],
        reconcile() {},
      });
    const refused = (sources: unknown) => {
      try {
        runtime.register(make(sources));
      } catch (error) {
        expect(isRegistrationError(error)).toBe(true);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused('netlink')).toContain('sources must be an array');
    expect(refused([{ name: 'x' }])).toContain('sources must be made with source(name, changes)');
    const s = source('dup', () => new Subject());
    expect(refused([s, s])).toContain('source "dup" is declared twice');
    expect(() => source('', () => new Subject())).toThrow(/non-empty/);
  });
});
