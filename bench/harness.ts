/**
 * The benchmark harness: every figure is measured next to a baseline in the same run and reported
 * as a ratio, so results compare across machines. Benchmarks never decide pass/fail of the tests.
 */

/** One measured figure. */
export interface BenchRow {
  /** What was measured. */
  figure: string;
  /** The measured value (e.g. ops/s, ms, bytes). */
  value: number;
  unit: string;
  /** The baseline's value in the same unit, when there is one. */
  baseline?: number;
  /** value / baseline (or baseline / value for "lower is better" units; see `higherIsBetter`). */
  ratio?: number;
  /** The target, in words, e.g. ">= 0.33 x baseline". */
  target?: string;
  /** Whether the target was met (information only). */
  met?: boolean;
}

/** What a benchmark module's `run()` returns. */
export interface BenchReport {
  name: string;
  rows: BenchRow[];
  notes?: string[];
}

/** Best (lowest) of `n` timings of `fn`, each after `setup`. */
export async function bestOf(
  n: number,
  fn: () => unknown | Promise<unknown>,
  setup: () => unknown | Promise<unknown> = () => {},
): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    // No forced GC here: after one, V8 shrinks the heap and the trial pays for regrowing it.
    await setup();
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Runs a full garbage collection when node was started with --expose-gc. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Heap bytes in use after a full collection. */
export function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A row comparing a rate (higher is better) with its baseline rate. */
export function rateRow(
  figure: string,
  value: number,
  baseline: number,
  unit: string,
  minRatio: number,
): BenchRow {
  const ratio = value / baseline;
  return {
    figure,
    value,
    unit,
    baseline,
    ratio,
    target: `>= ${minRatio} x baseline`,
    met: ratio >= minRatio,
  };
}

/** A row comparing a cost (lower is better, e.g. time or bytes) with its baseline cost. */
export function costRow(
  figure: string,
  value: number,
  baseline: number,
  unit: string,
  maxRatio: number,
): BenchRow {
  const ratio = value / baseline;
  return {
    figure,
    value,
    unit,
    baseline,
    ratio,
    target: `<= ${maxRatio} x baseline`,
    met: ratio <= maxRatio,
  };
}

/** Formats a report as a text table. */
export function formatReport(report: BenchReport): string {
  const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'met'];
  const fmt = (n: number | undefined) =>
    n === undefined
      ? ''
      : Math.abs(n) >= 100
        ? n.toFixed(0)
        : Math.abs(n) >= 1
          ? n.toFixed(2)
          : n.toPrecision(3);
  const lines = report.rows.map((r) => [
    r.figure,
    fmt(r.value),
    r.unit,
    fmt(r.baseline),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    `# ${report.name}`,
    row(header),
    row(widths.map((w) => '-'.repeat(w))),
    ...lines.map(row),
    ...(report.notes ?? []).map((n) => `note: ${n}`),
  ].join('\n');
}
