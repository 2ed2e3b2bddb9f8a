import { afterEach, describe, expect, it } from 'vitest';
import { defineController, defineQController, input, output } from '../../../src/index.js';
import { type Harness, harness, Ints, Sentences, Strs, Sums, stage } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

describe('runtime: observability', () => {
  it('should describe the dependency graph as edges, DOT and Mermaid', () => {
    h = harness();
    const { runtime } = h;
    runtime.register(stage('IntToStr', Ints, Strs, String));
    runtime.register(
      defineQController({
        name: 'Q',
        inputs: [
          input.primary(Strs),
          input.mappedDestroyReady(Sentences, () => null, { namespace: 'other' }),
        ],
        outputs: [output.shared(Sums)],
        reconcile() {},
      }),
    );
    const graph = runtime.dependencyGraph();
    expect(graph.controllers).toEqual(['IntToStr', 'Q']);
    expect(graph.types).toEqual([Ints.type, Sentences.type, Strs.type, Sums.type]);
    expect(graph.edges.map((e) => `${e.controller} ${e.edgeType} ${e.type} ${e.namespace ?? '*'}`)).toEqual([
      `IntToStr inputStrong ${Ints.type} default`,
      `IntToStr outputExclusive ${Strs.type} *`,
      `IntToStr inputDestroyReady ${Strs.type} default`,
      `Q inputMappedDestroyReady ${Sentences.type} other`,
      `Q inputPrimary ${Strs.type} default`,
      `Q outputShared ${Sums.type} *`,
    ]);
    const dot = graph.toDot();
    expect(dot).toContain(`"t:${Ints.type}" -> "c:IntToStr" [label="strong", style=bold];`);
    expect(dot).toContain(`"c:IntToStr" -> "t:${Strs.type}" [label="exclusive", style=bold];`);
    expect(dot).toContain(`[label="mappedDestroyReady other", style=dotted]`);
    const mermaid = graph.toMermaid();
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    expect(mermaid).toContain('c0 ==>|"exclusive"| t2');
    expect(mermaid).toContain('t1 -.->|"mappedDestroyReady other"| c1');
  });

  it('should count reconciles, errors, restarts, queue depth and events, also as Prometheus text', async () => {
    h = harness();
    const { runtime, clock, state } = h;
    let n = 0;
    runtime.register(
      defineController({
        name: 'Counted',
        inputs: [input.weak(Ints)],
        outputs: [],
        reconcile() {
          if (++n === 2) throw new Error('second run fails');
        },
      }),
    );
    runtime.register(
      defineQController({
        name: 'QCounted',
        inputs: [input.primary(Ints)],
        outputs: [],
        reconcile: (_ctx, p) => {
          if (p.id === 'b') throw new Error('b fails');
        },
      }),
    );
    await runtime.start();
    await runtime.settled();
    await state.create(Ints.make('a', { value: 1 }));
    await state.create(Ints.make('b', { value: 2 }));
    await runtime.settled();
    await clock.advance(500);
    await runtime.settled();
    const m = runtime.metrics();
    expect(m.controllers.Counted).toMatchObject({
      reconciles: 3,
      errors: 1,
      restarts: 1,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(m.controllers.Counted!.lastDurationMs).toBe(0);
    expect(m.controllers.Counted!.lastDuration).toBe(0);
    expect(m.controllers.QCounted).toMatchObject({
      reconciles: 3,
      errors: 2,
      restarts: 1,
      queueDepth: 1,
      inFlight: 0,
    });
    expect(m.kinds[`${Ints.type}(default)`]!.events).toBe(2);
    const text = m.toPrometheus();
    expect(text).toContain('# TYPE converge_controller_reconciles_total counter');
    expect(text).toContain('converge_controller_reconciles_total{controller="Counted"} 3');
    expect(text).toContain('converge_controller_errors_total{controller="QCounted"} 2');
    expect(text).toContain('converge_controller_queue_depth{controller="QCounted"} 1');
    expect(text).toContain(`converge_kind_events_total{namespace="default",type="${Ints.type}"} 2`);
  });
});
