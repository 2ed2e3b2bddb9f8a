/** What an edge of the dependency graph says, named as COSI names its edge types. */
export type DependencyEdgeType =
  | 'outputExclusive'
  | 'outputShared'
  | 'inputWeak'
  | 'inputStrong'
  | 'inputDestroyReady'
  | 'inputPrimary'
  | 'inputMapped'
  | 'inputMappedDestroyReady';

/** One dependency: a controller reads (input) or writes (output) a resource type. */
export interface DependencyEdge {
  readonly controller: string;
  readonly edgeType: DependencyEdgeType;
  readonly type: string;
  /** Inputs only: outputs are keyed by type and may be written in any namespace. */
  readonly namespace?: string;
  /** Id-specific inputs only. */
  readonly id?: string;
}

/** An external source that wakes a controller (a node of its own in the rendered graph). */
export interface DependencySource {
  readonly controller: string;
  /** The source's name, unique within its controller. */
  readonly source: string;
}

/** The controllers, the types they touch and the edges between them, with renderers. */
export interface DependencyGraph {
  readonly controllers: readonly string[];
  readonly types: readonly string[];
  readonly edges: readonly DependencyEdge[];
  /** External sources, sorted by controller then name. */
  readonly sources: readonly DependencySource[];
  /** Graphviz DOT: `dot -Tsvg`. */
  toDot(): string;
  /** A Mermaid flowchart. */
  toMermaid(): string;
}

const edgeLabels: Record<DependencyEdgeType, string> = {
  outputExclusive: 'exclusive',
  outputShared: 'shared',
  inputWeak: 'weak',
  inputStrong: 'strong',
  inputDestroyReady: 'destroyReady',
  inputPrimary: 'primary',
  inputMapped: 'mapped',
  inputMappedDestroyReady: 'mappedDestroyReady',
};

function edgeLabel(e: DependencyEdge, defaultNamespace: (type: string) => string | undefined): string {
  let label = edgeLabels[e.edgeType];
  if (e.namespace !== undefined && e.namespace !== defaultNamespace(e.type)) label += ` ${e.namespace}`;
  if (e.id !== undefined) label += ` #${e.id}`;
  return label;
}

/** Builds a graph from its edges (sorted for stable output). @internal */
export function makeDependencyGraph(
  controllers: readonly string[],
  edges: readonly DependencyEdge[],
  defaultNamespace: (type: string) => string | undefined,
  sources: readonly DependencySource[] = [],
): DependencyGraph {
  const sortedSources = [...sources].sort(
    (a, b) => cmp(a.controller, b.controller) || cmp(a.source, b.source),
  );
  const sortedEdges = [...edges].sort(
    (a, b) =>
      cmp(a.controller, b.controller) ||
      cmp(a.type, b.type) ||
      cmp(a.namespace ?? '', b.namespace ?? '') ||
      cmp(a.id ?? '', b.id ?? '') ||
      cmp(a.edgeType, b.edgeType),
  );
  const types = [...new Set(sortedEdges.map((e) => e.type))].sort(cmp);
  const names = [...controllers].sort(cmp);
  const isInput = (e: DependencyEdge) => e.edgeType.startsWith('input');
  return Object.freeze({
    controllers: Object.freeze(names),
    types: Object.freeze(types),
    edges: Object.freeze(sortedEdges.map((e) => Object.freeze({ ...e }))),
    sources: Object.freeze(sortedSources.map((s) => Object.freeze({ ...s }))),
    toDot() {
      const lines = ['digraph dependencies {', '  rankdir=LR;'];
      for (const c of names) lines.push(`  ${dotId(`c:${c}`)} [label=${dotId(c)}, shape=box];`);
      for (const t of types) lines.push(`  ${dotId(`t:${t}`)} [label=${dotId(t)}, shape=ellipse];`);
      for (const s of sortedSources) {
        const id = dotId(`s:${s.controller}:${s.source}`);
        lines.push(`  ${id} [label=${dotId(s.source)}, shape=cds];`);
        lines.push(`  ${id} -> ${dotId(`c:${s.controller}`)} [label="source", style=dashed];`);
      }
      for (const e of sortedEdges) {
        const style =
          e.edgeType === 'inputWeak' || e.edgeType === 'inputMapped'
            ? 'dashed'
            : e.edgeType.endsWith('DestroyReady')
              ? 'dotted'
              : e.edgeType === 'outputExclusive' || e.edgeType === 'inputStrong'
                ? 'bold'
                : 'solid';
        const [from, to] = isInput(e)
          ? [`t:${e.type}`, `c:${e.controller}`]
          : [`c:${e.controller}`, `t:${e.type}`];
        lines.push(
          `  ${dotId(from)} -> ${dotId(to)} [label=${dotId(edgeLabel(e, defaultNamespace))}, style=${style}];`,
        );
      }
      lines.push('}');
      return `${lines.join('\n')}\n`;
    },
    toMermaid() {
      const ids = new Map<string, string>();
      const lines = ['flowchart LR'];
      names.forEach((c, i) => {
        ids.set(`c:${c}`, `c${i}`);
        lines.push(`  c${i}[${mermaidText(c)}]`);
      });
      types.forEach((t, i) => {
        ids.set(`t:${t}`, `t${i}`);
        lines.push(`  t${i}([${mermaidText(t)}])`);
      });
      sortedSources.forEach((s, i) => {
        lines.push(`  s${i}{{${mermaidText(s.source)}}}`);
        lines.push(`  s${i} -.->|"source"| ${ids.get(`c:${s.controller}`)!}`);
      });
      for (const e of sortedEdges) {
        const arrow = e.edgeType.endsWith('DestroyReady')
          ? '-.->'
          : e.edgeType === 'outputExclusive' || e.edgeType === 'inputStrong'
            ? '==>'
            : '-->';
        const c = ids.get(`c:${e.controller}`)!;
        const t = ids.get(`t:${e.type}`)!;
        const [from, to] = isInput(e) ? [t, c] : [c, t];
        lines.push(`  ${from} ${arrow}|${mermaidText(edgeLabel(e, defaultNamespace))}| ${to}`);
      }
      return `${lines.join('\n')}\n`;
    },
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dotId(s: string): string {
  return JSON.stringify(s);
}

/** Quotes text for Mermaid labels (quotes become `#quot;`). */
function mermaidText(s: string): string {
  return `"${s.replaceAll('"', '#quot;')}"`;
}
