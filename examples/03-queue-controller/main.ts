/**
 * Example 03: a queue controller probes every Target on its own schedule. Items are reconciled one
 * key at a time, two at once, each requeued after its interval; a failing probe retries with its own
 * backoff without holding up the others; tearing a Target down cancels its probe in flight.
 *
 * Run: npx tsx --conditions=source examples/03-queue-controller/main.ts
 */
import {
  createRuntime,
  createState,
  defineQController,
  defineResource,
  input,
  isNotFoundError,
  output,
} from 'converge';
import { pino } from 'pino';
import { z } from 'zod';

const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

// 1. What users write (targets to probe) and what the controller reports (their status).
const Targets = defineResource({
  type: 'Targets.example.converge.dev',
  spec: z.object({
    address: z.string(),
    intervalMs: z.number().int().positive(),
    flaky: z.boolean().default(false),
  }),
});
const ProbeStatuses = defineResource({
  type: 'ProbeStatuses.example.converge.dev',
  spec: z.object({ address: z.string(), probes: z.number(), lastLatencyMs: z.number() }),
});

// 2. A queue controller: reconcile(ctx, pointer) runs for one Target at a time.
let flakyAttempts = 0;
const Prober = defineQController({
  name: 'ProbeController',
  inputs: [input.primary(Targets)],
  outputs: [output.exclusive(ProbeStatuses)],
  concurrency: 2,
  async reconcile(ctx, pointer) {
    let target: Awaited<ReturnType<typeof ctx.get<typeof Targets>>>;
    try {
      target = await ctx.get(Targets.pointer(pointer.id));
    } catch (error) {
      if (isNotFoundError(error)) return; // destroyed: nothing left to do
      throw error;
    }
    if (target.metadata.phase === 'tearingDown') {
      // Clean up first, then let the Target go by releasing our finalizer.
      await ctx.teardownAndDestroy(ProbeStatuses.pointer(pointer.id));
      await ctx.removeFinalizer(pointer, 'ProbeController');
      out(`  ${pointer.id}: tearing down, status removed, finalizer released`);
      return;
    }
    if (!target.metadata.finalizers.includes('ProbeController'))
      await ctx.addFinalizer(pointer, 'ProbeController');
    if (target.spec.flaky && ++flakyAttempts <= 2) throw new Error(`${target.spec.address} did not answer`);
    // The "probe": a wait the runtime cancels through ctx.signal when the Target tears down.
    const latency = 60 + (pointer.id.length % 3) * 20;
    try {
      await sleep(latency, ctx.signal);
    } catch (error) {
      out(`  ${pointer.id}: probe cancelled (${(error as Error).message})`);
      throw error;
    }
    const status = await ctx.modify(
      ProbeStatuses.make(pointer.id, { address: target.spec.address, probes: 0, lastLatencyMs: 0 }),
      (d) => {
        d.spec.probes += 1;
        d.spec.lastLatencyMs = latency;
      },
    );
    out(`  ${pointer.id}: probe #${status.spec.probes} of ${target.spec.address} took ${latency} ms`);
    return ctx.requeueAfter(target.spec.intervalMs);
  },
});

// 3. A runtime with a shorter backoff than the default 500 ms, so the example stays quick.
const state = createState();
const runtime = createRuntime({ state, logger: pino({ level: 'error' }), backoff: { initialMs: 100 } });
runtime.register(Prober);
await runtime.start();

out('creating three targets (one flaky):');
await state.create(Targets.make('db', { address: '10.0.0.5:5432', intervalMs: 250 }));
await state.create(Targets.make('cache', { address: '10.0.0.6:6379', intervalMs: 5 }));
await state.create(Targets.make('edge', { address: '10.0.0.7:443', intervalMs: 1_000, flaky: true }));
await sleep(900);

out('tearing down cache (its probe runs back to back, so one is in flight):');
await state.teardownAndDestroy(Targets.pointer('cache'));
out('cache is destroyed');
await sleep(400);

const m = runtime.metrics().controllers.ProbeController!;
out(`\nreconciles ${m.reconciles}, errors ${m.errors} (edge retried with backoff), requeues ${m.requeues}`);
for (const s of await state.list(ProbeStatuses.kind())) {
  out(`status ${s.metadata.id}: ${s.spec.probes} probe(s), last ${s.spec.lastLatencyMs} ms`);
}
out('stopping the runtime');
await runtime.stop();
out('runtime stopped: probes in flight are cancelled, and none runs afterwards');
