/**
 * Reconciles per resource of a node reaching ready, for `npm run bench -- node`. The node API does
 * not expose the runtime's metrics, so the node runs in this process (`createNode` on the platform
 * `converge node run` gives it: a simulated network, real processes, wall clock) and the figures
 * are read from `node.runtime.metrics()` the moment MachineStatus says running and ready.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  createChildProcesses,
  createNode,
  createSimulatedPlatform,
  MachineStatuses,
} from '../src/node/index.js';
import { wallClock } from '../src/runtime/clock.js';

/** What a node did to reach ready. */
export interface ReconcileCount {
  /** Reconciles started, every controller together. */
  readonly reconciles: number;
  /** Resources in the node's state when it was ready (every known kind, default namespaces). */
  readonly resources: number;
  readonly controllers: number;
  /** The controllers with the most reconciles, most first, as `name=count`. */
  readonly busiest: readonly string[];
}

/** Starts a worker node in this process and counts reconciles until it is running and ready. */
export async function reconcilesToReady(config: string): Promise<ReconcileCount> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-reconciles-'));
  const platform = createSimulatedPlatform({
    clock: wallClock,
    seed: 1,
    links: [{ name: 'eth0', dhcp: true }],
    processes: createChildProcesses(),
    loopbackNodeAddresses: true,
  });
  const logger = pino({ level: 'error' }, pino.destination(2));
  const node = await createNode({ config, platform, stateDir: dir, clock: wallClock, logger });
  try {
    await node.start();
    const deadline = performance.now() + 60_000;
    for (;;) {
      const status = (await node.state.list(MachineStatuses.kind()))[0]?.spec;
      if (status?.stage === 'running' && status.status.ready) break;
      if (performance.now() > deadline) throw new Error('bench: the node was not ready within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const metrics = node.runtime.metrics();
    const definitions = node.state.definitions?.list() ?? [];
    let resources = 0;
    for (const definition of definitions) resources += (await node.state.list(definition.kind())).length;
    const counts = Object.entries(metrics.controllers).map(([name, m]) => [name, m.reconciles] as const);
    return {
      reconciles: counts.reduce((sum, [, n]) => sum + n, 0),
      resources,
      controllers: counts.length,
      busiest: [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([name, n]) => `${name}=${n}`),
    };
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
