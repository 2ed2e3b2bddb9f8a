/**
 * The controller dependency graph as the node API serves it: JSON, Graphviz DOT, or SVG drawn by
 * Graphviz itself (its WebAssembly build, loaded on first use).
 */
import type { DependencyGraph } from '../../runtime/controller/dependency-graph.js';

/** The formats of `GET /v1/node/graph`. */
export const graphFormats = ['json', 'dot', 'svg'] as const;

/** One of {@link graphFormats}. */
export type GraphFormat = (typeof graphFormats)[number];

let viz: Promise<{ renderString(dot: string, options: { format: string }): string }> | undefined;

/** Renders the graph: `[content type, text]`. */
export async function renderDependencyGraph(
  graph: DependencyGraph,
  format: GraphFormat,
): Promise<readonly [string, string]> {
  if (format === 'json') {
    const { controllers, types, edges, sources } = graph;
    return ['application/json', JSON.stringify({ controllers, types, edges, sources })];
  }
  if (format === 'dot') return ['text/vnd.graphviz', graph.toDot()];
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const svg = (await viz).renderString(graph.toDot(), { format: 'svg' });
  return ['image/svg+xml', svg];
}
