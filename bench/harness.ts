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
  /** Lowest and highest per-pair ratio, when the ratio is a median of pairs. */
  spread?: [number, number];
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

/** Timings of a measured workload and its baseline from interleaved pairs of trials. */
export interface PairedTiming {
  /** Median time of the measured workload, ms. */
  ours: number;
  /** Median time of the baseline, ms. */
  baseline: number;
  /** Median of the per-pair ratios ours / baseline: a load spike hits both sides of a pair alike. */
  ratio: number;
  /** Lowest and highest per-pair ratio, for the spread. */
  ratioRange: [number, number];
}

/** Milliseconds one call of `fn` takes. */
async function timeOnce(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `ours` and `baseline` in `trials` adjacent pairs, swapping which goes first every pair, and
 * reports medians and the median per-pair ratio. Pairs, not separate series, so that neighbours'
 * load on a shared machine and the heap's state weigh on both sides of each comparison alike.
 */
export async function pairedTrials(
  trials: number,
  ours: () => unknown | Promise<unknown>,
  baseline: () => unknown | Promise<unknown>,
): Promise<PairedTiming> {
  return pairedMeasures(
    trials,
    () => timeOnce(ours),
    () => timeOnce(baseline),
  );
}

/**
 * As {@link pairedTrials}, for workloads that measure themselves (a latency median, the time of one
 * phase after a set-up that is not to be counted): each function returns its own figure in ms.
 */
export async function pairedMeasures(
  trials: number,
  ours: () => number | Promise<number>,
  baseline: () => number | Promise<number>,
): Promise<PairedTiming> {
  const oursTimes: number[] = [];
  const baseTimes: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < trials; i++) {
    let o: number;
    let b: number;
    if (i % 2 === 0) {
      o = await ours();
      b = await baseline();
    } else {
      b = await baseline();
      o = await ours();
    }
    oursTimes.push(o);
    baseTimes.push(b);
    ratios.push(o / b);
  }
  return {
    ours: median(oursTimes),
    baseline: median(baseTimes),
    ratio: median(ratios),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
  };
}

/** Wall-clock and CPU time of one trial, ms. */
export interface Cost {
  wall: number;
  cpu: number;
}

/** Starts a {@link Cost} measurement; the returned function ends it. */
export function startCost(): () => Cost {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: Number(process.hrtime.bigint() - wall) / 1e6, cpu: (used.user + used.system) / 1e3 };
  };
}

/**
 * As {@link pairedMeasures}, with wall-clock and CPU time from the same interleaved pairs. On a
 * shared machine CPU time is the steadier figure: a long trial loses the CPU to neighbours more
 * often than a short one, which inflates its wall time and not its CPU time.
 */
export async function pairedCosts(
  trials: number,
  ours: () => Cost | Promise<Cost>,
  baseline: () => Cost | Promise<Cost>,
): Promise<{ wall: PairedTiming; cpu: PairedTiming }> {
  const o: Cost[] = [];
  const b: Cost[] = [];
  for (let i = 0; i < trials; i++) {
    if (i % 2 === 0) {
      o.push(await ours());
      b.push(await baseline());
    } else {
      b.push(await baseline());
      o.push(await ours());
    }
  }
  const timing = (pick: (c: Cost) => number): PairedTiming => {
    const ratios = o.map((c, i) => pick(c) / pick(b[i]!));
    return {
      ours: median(o.map(pick)),
      baseline: median(b.map(pick)),
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    };
  };
  return { wall: timing((c) => c.wall), cpu: timing((c) => c.cpu) };
}

/** A row for a paired cost (time), its ratio the median per-pair ratio. */
export function pairedCostRow(figure: string, t: PairedTiming, maxRatio: number): BenchRow {
  return {
    figure,
    value: t.ours,
    unit: 'ms',
    baseline: t.baseline,
    ratio: t.ratio,
    spread: t.ratioRange,
    target: `<= ${maxRatio} x baseline`,
    met: t.ratio <= maxRatio,
  };
}

/** A row for a paired rate (`work` units per trial, higher is better), from the median per-pair ratio. */
export function pairedRateRow(
  figure: string,
  t: PairedTiming,
  work: number,
  unit: string,
  minRatio: number,
): BenchRow {
  const ratio = 1 / t.ratio;
  return {
    figure,
    value: work / (t.ours / 1000),
    unit,
    baseline: work / (t.baseline / 1000),
    ratio,
    target: `>= ${minRatio} x baseline`,
    met: ratio >= minRatio,
  };
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
  const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'spread', 'target', 'met'];
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
    r.spread === undefined ? '' : `${r.spread[0].toFixed(2)}-${r.spread[1].toFixed(2)}x`,
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
