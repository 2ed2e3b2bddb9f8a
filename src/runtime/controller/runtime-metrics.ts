import type { KindWatch } from './kind-watch.js';
import {
  type ControllerMetrics,
  formatPrometheus,
  type KindMetrics,
  type RuntimeMetrics,
} from './metrics.js';
import type { Runner } from './runner.js';
import type { SourceMetrics, SourceWatch } from './source-watch.js';

/** A frozen snapshot of the runtime's counters: per controller, per watched kind, per source. */
export function runtimeMetrics(
  runners: ReadonlyMap<string, Runner>,
  watches: Iterable<KindWatch>,
  sourceWatches: readonly SourceWatch[],
): RuntimeMetrics {
  const controllers: Record<string, ControllerMetrics> = {};
  for (const [name, runner] of runners) controllers[name] = Object.freeze(runner.metrics());
  const kinds: Record<string, KindMetrics> = {};
  for (const w of watches) {
    kinds[`${w.type}(${w.namespace})`] = Object.freeze({
      namespace: w.namespace,
      type: w.type,
      events: w.events,
      relists: w.relists,
      watchErrors: w.errors,
    });
  }
  const sources: Record<string, SourceMetrics> = {};
  for (const w of sourceWatches) {
    sources[`${w.controller}/${w.source.name}`] = Object.freeze(w.metrics());
  }
  return Object.freeze({
    controllers: Object.freeze(controllers),
    kinds: Object.freeze(kinds),
    sources: Object.freeze(sources),
    toPrometheus: () => formatPrometheus(controllers, kinds, sources),
  });
}
