import type { SourceMetrics } from './source-watch.js';

/** How a reconcile ended. */
export type ReconcileOutcome = 'success' | 'error' | 'aborted';

/** Counters and gauges of one controller. */
export interface ControllerMetrics {
  /** Reconciles started (queue controllers: items processed, map calls excluded). */
  readonly reconciles: number;
  /** Reconciles (and map calls) that threw or rejected. */
  readonly errors: number;
  /** Runs started by a backoff retry after a failure. */
  readonly restarts: number;
  /** Runs asked for with `ctx.requeueAfter`. */
  readonly requeues: number;
  /** How long the last completed run took on the runtime's clock, in milliseconds. */
  readonly lastDuration: number | undefined;
  /** The same as `lastDuration`, with its unit in the name. */
  readonly lastDurationMs: number | undefined;
  /** How the last run ended. */
  readonly lastOutcome: ReconcileOutcome | undefined;
  /** The error of the last failed run. */
  readonly lastError: unknown;
  /** Queue controllers: items waiting (ready or delayed); full controllers: 1 while a run is pending. */
  readonly queueDepth: number;
  /** Runs in progress right now. */
  readonly inFlight: number;
  /** Full controllers: consecutive failures (0 after a success); queue controllers: items failing now. */
  readonly failures: number;
}

/** Counters of one watched kind. */
export interface KindMetrics {
  readonly namespace: string;
  readonly type: string;
  /** Watch events received (before deduplication). */
  readonly events: number;
  /** Times the kind was re-listed after a watch overrun or failure. */
  readonly relists: number;
  /** Watch failures (overruns included). */
  readonly watchErrors: number;
}

/** A snapshot of the runtime's metrics. */
export interface RuntimeMetrics {
  /** By controller name. */
  readonly controllers: Readonly<Record<string, ControllerMetrics>>;
  /** By `type(namespace)`. */
  readonly kinds: Readonly<Record<string, KindMetrics>>;
  /** By `controller/source`: each controller's subscription to each of its external sources. */
  readonly sources: Readonly<Record<string, SourceMetrics>>;
  /** The same figures in the Prometheus text exposition format. */
  toPrometheus(): string;
}

/** A mutable set of counters a runner keeps. @internal */
export interface MetricCounters {
  reconciles: number;
  errors: number;
  restarts: number;
  requeues: number;
  lastDuration: number | undefined;
  lastDurationMs: number | undefined;
  lastOutcome: ReconcileOutcome | undefined;
  lastError: unknown;
}

/** Fresh counters. @internal */
export function newCounters(): MetricCounters {
  return {
    reconciles: 0,
    errors: 0,
    restarts: 0,
    requeues: 0,
    lastDuration: undefined,
    lastDurationMs: undefined,
    lastOutcome: undefined,
    lastError: undefined,
  };
}

type Family = { name: string; help: string; kind: 'counter' | 'gauge' };

const controllerFamilies: [Family, (m: ControllerMetrics) => number | undefined][] = [
  [
    { name: 'converge_controller_reconciles_total', help: 'Reconciles started.', kind: 'counter' },
    (m) => m.reconciles,
  ],
  [
    { name: 'converge_controller_errors_total', help: 'Reconciles that failed.', kind: 'counter' },
    (m) => m.errors,
  ],
  [
    { name: 'converge_controller_restarts_total', help: 'Retries after a failure.', kind: 'counter' },
    (m) => m.restarts,
  ],
  [
    {
      name: 'converge_controller_requeues_total',
      help: 'Requeues asked for by reconciles.',
      kind: 'counter',
    },
    (m) => m.requeues,
  ],
  [
    {
      name: 'converge_controller_last_duration_seconds',
      help: 'Duration of the last completed reconcile.',
      kind: 'gauge',
    },
    (m) => (m.lastDurationMs === undefined ? undefined : m.lastDurationMs / 1000),
  ],
  [
    { name: 'converge_controller_queue_depth', help: 'Items waiting to be reconciled.', kind: 'gauge' },
    (m) => m.queueDepth,
  ],
  [
    { name: 'converge_controller_in_flight', help: 'Reconciles running now.', kind: 'gauge' },
    (m) => m.inFlight,
  ],
];

const kindFamilies: [Family, (m: KindMetrics) => number][] = [
  [{ name: 'converge_kind_events_total', help: 'Watch events received.', kind: 'counter' }, (m) => m.events],
  [
    { name: 'converge_kind_relists_total', help: 'Re-lists after a watch failure.', kind: 'counter' },
    (m) => m.relists,
  ],
  [
    { name: 'converge_kind_watch_errors_total', help: 'Watch failures.', kind: 'counter' },
    (m) => m.watchErrors,
  ],
];

const sourceFamilies: [Family, (m: SourceMetrics) => number][] = [
  [
    { name: 'converge_source_emissions_total', help: 'External source emissions received.', kind: 'counter' },
    (m) => m.emissions,
  ],
  [
    { name: 'converge_source_errors_total', help: 'External source failures.', kind: 'counter' },
    (m) => m.errors,
  ],
];

function labelValue(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** Renders metrics in the Prometheus text format (version 0.0.4). @internal */
export function formatPrometheus(
  controllers: Readonly<Record<string, ControllerMetrics>>,
  kinds: Readonly<Record<string, KindMetrics>>,
  sources: Readonly<Record<string, SourceMetrics>> = {},
): string {
  const lines: string[] = [];
  const names = Object.keys(controllers).sort();
  for (const [family, value] of controllerFamilies) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`);
    for (const name of names) {
      const v = value(controllers[name]!);
      if (v !== undefined) lines.push(`${family.name}{controller="${labelValue(name)}"} ${v}`);
    }
  }
  const kindKeys = Object.keys(kinds).sort();
  for (const [family, value] of kindFamilies) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`);
    for (const key of kindKeys) {
      const k = kinds[key]!;
      lines.push(
        `${family.name}{namespace="${labelValue(k.namespace)}",type="${labelValue(k.type)}"} ${value(k)}`,
      );
    }
  }
  const sourceKeys = Object.keys(sources).sort();
  for (const [family, value] of sourceFamilies) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`);
    for (const key of sourceKeys) {
      const m = sources[key]!;
      lines.push(
        `${family.name}{controller="${labelValue(m.controller)}",source="${labelValue(m.source)}"} ${value(m)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
