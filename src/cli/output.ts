import type { PrintColumn } from '../runtime/resource/define-resource.js';
import { resourceToObject, resourceToYaml } from '../runtime/resource/yaml.js';
import type { WatchEventType } from '../runtime/state/watch-event.js';

/** The output formats of `converge get`: `jsonpath` carries its template. */
export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | { readonly jsonpath: string };

/** What table output needs to know about a type. */
export interface TypeColumns {
  readonly displayType: string;
  readonly printColumns: readonly PrintColumn[];
}

/** A resource as the CLI prints it. */
export interface Printable {
  readonly metadata: {
    namespace: string;
    type: string;
    id: string;
    version: number;
    phase?: string;
    owner?: string;
    finalizers?: readonly string[];
    labels?: Readonly<Record<string, string>>;
  };
  readonly spec: unknown;
}

/**
 * Evaluates the `{.a.b[0]}` JSONPath subset of print columns against a spec; `undefined` when a step
 * is missing.
 */
export function evaluateJsonPath(path: string, value: unknown): unknown {
  const inner = path.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  if (inner === '.' || inner === '') return value;
  const steps = inner.match(/\.[^.[\]]+|\[\d+\]/g) ?? [];
  let current = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    current = step.startsWith('[')
      ? (current as unknown[])[Number(step.slice(1, -1))]
      : (current as Record<string, unknown>)[step.slice(1)];
  }
  return current;
}

/** A table cell: strings as they are, anything else as JSON, missing as empty. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * The column headers of a type's table: `NAMESPACE TYPE ID VERSION PHASE`, its print columns, and
 * with `wide` the owner, finalizers and labels.
 */
export function headers(columns: TypeColumns, watch: boolean, wide = false): string[] {
  const base = [
    'NAMESPACE',
    'TYPE',
    'ID',
    'VERSION',
    'PHASE',
    ...columns.printColumns.map((c) => c.name.toUpperCase()),
    ...(wide ? ['OWNER', 'FINALIZERS', 'LABELS'] : []),
  ];
  return watch ? ['*', ...base] : base;
}

const markers: Partial<Record<WatchEventType, string>> = { created: '+', destroyed: '-', updated: '' };

/** One table row of a resource (with the watch marker first in watch mode). */
export function row(
  columns: TypeColumns,
  resource: Printable,
  event?: WatchEventType,
  wide = false,
): string[] {
  const m = resource.metadata;
  const labels = Object.entries(m.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const cells = [
    m.namespace,
    columns.displayType,
    m.id,
    String(m.version),
    m.phase ?? '',
    ...columns.printColumns.map((c) => cell(evaluateJsonPath(c.jsonPath, resource.spec))),
    ...(wide ? [m.owner || '<user>', (m.finalizers ?? []).join(','), labels] : []),
  ];
  return event === undefined ? cells : [markers[event] ?? '', ...cells];
}

/** Lays out rows in columns three spaces apart, as Go's tabwriter does for talosctl. */
export class Table {
  readonly #widths: number[];
  readonly #write: (text: string) => void;

  constructor(header: string[], write: (text: string) => void, sample: string[][] = []) {
    this.#widths = header.map((h, i) => Math.max(h.length, ...sample.map((r) => (r[i] ?? '').length)));
    this.#write = write;
  }

  /** Writes rows, widening columns as needed (earlier lines are not rewritten). */
  print(rows: string[][]): void {
    const lines: string[] = [];
    for (const r of rows) {
      r.forEach((c, i) => {
        this.#widths[i] = Math.max(this.#widths[i] ?? 0, c.length);
      });
      lines.push(
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(this.#widths[i]!)))
          .join('   ')
          .trimEnd(),
      );
    }
    if (lines.length > 0) this.#write(`${lines.join('\n')}\n`);
  }
}

/** Prints a whole table (widths from every row). */
export function printTable(header: string[], rows: string[][], write: (text: string) => void): void {
  new Table(header, write, rows).print([header, ...rows]);
}

/** A resource as YAML, with an `event` key first in watch mode. */
export function yamlOf(resource: Printable, event?: WatchEventType): string {
  const text = resourceToYaml(resource);
  return event === undefined ? text : `event: ${event}\n${text}`;
}

/** A resource as JSON: indented, or one line with an `event` key first in watch mode. */
export function jsonOf(resource: Printable, event?: WatchEventType): string {
  const object = resourceToObject(resource);
  return event === undefined ? JSON.stringify(object, null, 2) : JSON.stringify({ event, ...object });
}

/** A list as one JSON document, `{ "items": [...] }`, as kubectl prints a list. */
export function jsonListOf(resources: readonly Printable[]): string {
  return JSON.stringify({ items: resources.map((r) => resourceToObject(r)) }, null, 2);
}
