/**
 * Random acyclic graphs of transform and merge controllers over a fixed pool of types, and the pure
 * function of the inputs each graph computes: what the store must hold once it settles.
 */
import fc from 'fast-check';
import { z } from 'zod';
import type { AnyControllerDefinition } from '../../src/runtime/controller/define-controller.js';
import { mergeController } from '../../src/runtime/controller/merge.js';
import { transformController } from '../../src/runtime/controller/transform.js';
import { type AnyResourceDefinition, defineResource } from '../../src/runtime/resource/define-resource.js';
import type { AnyResource } from '../../src/runtime/resource/resource.js';
import type { InputModel } from '../../src/testing/simulation/input-model.js';

const spec = z.object({
  value: z.number().int().min(0).max(20),
  layer: z.number().int().min(0).max(3).default(0),
});

/** The type pool: T0 and T1 are sources users edit; the others are written by controllers. */
const types = ['Zeros', 'Ones', 'Twos', 'Threes', 'Fours', 'Fives'].map((name) =>
  defineResource({ type: `${name}.graph.test.converge.dev`, spec }),
);
export const sources = [types[0]!, types[1]!];

type Spec = z.output<typeof spec>;

/** One producer of a derived type. */
interface TransformNode {
  readonly kind: 'transform';
  readonly from: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** A derived type: written by one merge, or by one or more transforms (shared when several). */
type DerivedNode =
  | { readonly kind: 'transforms'; readonly producers: readonly TransformNode[] }
  | { readonly kind: 'merge'; readonly from: number };

/** A graph: the derived types 2..n-1 in order, each reading only earlier types (so it is acyclic). */
export interface Graph {
  readonly derived: readonly DerivedNode[];
}

/** Graphs with 1 to `maxDerived` derived types (up to 4), transforms and merges mixed. */
export function graphArbitrary(maxDerived = 4): fc.Arbitrary<Graph> {
  const node = (j: number): fc.Arbitrary<DerivedNode> => {
    const from = fc.integer({ min: 0, max: j - 1 });
    const transform = fc.record({
      kind: fc.constant('transform' as const),
      from,
      a: fc.integer({ min: 1, max: 5 }),
      b: fc.integer({ min: 0, max: 20 }),
      c: fc.integer({ min: 0, max: 3 }),
    });
    return fc.oneof(
      fc.record({
        kind: fc.constant('transforms' as const),
        producers: fc.array(transform, { minLength: 1, maxLength: 2 }),
      }),
      fc.record({ kind: fc.constant('merge' as const), from }),
    );
  };
  return fc
    .integer({ min: 1, max: Math.min(4, maxDerived) })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => node(k + 2))))
    .map((derived) => ({ derived }));
}

const transformName = (j: number, k: number) => `Transform${j}.${k}`;
const mergeName = (j: number) => `Merge${j}`;
/** Output id of a transform: shared outputs carry the producer's number so producers never collide. */
const outputId = (id: string, shared: boolean, k: number) => (shared ? `${id}-${k}` : id);
const baseId = (id: string) => id.split('-')[0]!;

/** What a transform computes, or `null` (no output) for some values. */
function transformSpec(node: TransformNode, input: Spec): Spec | null {
  if (input.value % 7 === 6) return null;
  return { value: (node.a * input.value + node.b) % 21, layer: (input.layer + node.c) % 4 };
}

/** What a merge computes from the layers of one key (order does not matter). */
function mergeSpec(layers: readonly Spec[]): Spec {
  return { value: layers.reduce((s, l) => s + l.value, 0) % 21, layer: 0 };
}

/** The controllers of a graph. */
export function graphControllers(graph: Graph): AnyControllerDefinition[] {
  const out: AnyControllerDefinition[] = [];
  graph.derived.forEach((node, i) => {
    const j = i + 2;
    const to = types[j]!;
    if (node.kind === 'merge') {
      out.push(
        mergeController({
          name: mergeName(j),
          input: types[node.from]!,
          output: to,
          key: (l) => baseId(l.metadata.id),
          priority: (l) => (l.spec as Spec).layer,
          merge: (layers) => mergeSpec(layers.map((l) => l.spec as Spec)),
        }),
      );
      return;
    }
    const shared = node.producers.length > 1;
    node.producers.forEach((p, k) => {
      out.push(
        transformController({
          name: transformName(j, k),
          inputFinalizers: true,
          input: types[p.from]!,
          output: to,
          outputKind: shared ? 'shared' : 'exclusive',
          map: (r) => {
            const s = transformSpec(p, r.spec as Spec);
            return s === null ? null : to.make(outputId(r.metadata.id, shared, k), s);
          },
        }),
      );
    });
  });
  return out;
}

interface Expected {
  id: string;
  spec: Spec;
  phase: 'running' | 'tearingDown';
  finalizers: Set<string>;
}

/**
 * The pure function of the final inputs: every resource of every type the graph touches, with the
 * finalizers transforms keep on inputs whose output exists.
 */
export function expectedResources(graph: Graph, model: InputModel): AnyResource[] {
  const contents: Expected[][] = types.map(() => []);
  for (const [i, source] of sources.entries()) {
    contents[i] = model.list(source).map((r) => ({
      id: r.metadata.id,
      spec: r.spec as Spec,
      phase: r.metadata.phase,
      finalizers: new Set(r.metadata.finalizers),
    }));
  }
  graph.derived.forEach((node, n) => {
    const j = n + 2;
    if (node.kind === 'merge') {
      const groups = new Map<string, Spec[]>();
      for (const r of contents[node.from]!) {
        if (r.phase !== 'running') continue;
        const key = baseId(r.id);
        groups.set(key, [...(groups.get(key) ?? []), r.spec]);
      }
      contents[j] = [...groups].map(([id, layers]) => ({
        id,
        spec: mergeSpec(layers),
        phase: 'running',
        finalizers: new Set(),
      }));
      return;
    }
    const shared = node.producers.length > 1;
    node.producers.forEach((p, k) => {
      for (const r of contents[p.from]!) {
        if (r.phase !== 'running') continue;
        const s = transformSpec(p, r.spec);
        if (s === null) continue;
        r.finalizers.add(transformName(j, k));
        contents[j]!.push({
          id: outputId(r.id, shared, k),
          spec: s,
          phase: 'running',
          finalizers: new Set(),
        });
      }
    });
  });
  const touched = new Set([0, 1, ...graph.derived.map((_, n) => n + 2)]);
  return contents.flatMap((list, t) =>
    touched.has(t)
      ? list.map((e) => {
          const made = types[t]!.make(e.id, e.spec, { finalizers: [...e.finalizers] });
          return { ...made, metadata: { ...made.metadata, phase: e.phase } } as AnyResource;
        })
      : [],
  );
}

/** The types a graph touches (sources and derived), to compare against the expectation. */
export function graphTypes(graph: Graph): AnyResourceDefinition[] {
  return [0, 1, ...graph.derived.map((_, n) => n + 2)].map((t) => types[t]!);
}

/** A one-line description of a graph, for reports. */
export function describeGraph(graph: Graph): string {
  return graph.derived
    .map((node, n) => {
      const j = n + 2;
      return node.kind === 'merge'
        ? `T${j} = merge(T${node.from})`
        : `T${j} = ${node.producers.map((p) => `(${p.a}x+${p.b})(T${p.from})`).join(' + ')}`;
    })
    .join('; ');
}
