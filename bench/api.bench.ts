/**
 * `npm run bench -- api`: the state over the HTTPS API (server and client in this process, real
 * sockets on loopback, mutual TLS) against the in-process store, measured in the same run.
 */
import { z } from 'zod';
import { createApiServer, createRemoteState, generateCertificates } from '../src/api/index.js';
import { type AnyResource, createState, defineResource, type State } from '../src/index.js';
import { type BenchReport, type BenchRow, rateRow } from './harness.js';

const Items = defineResource({
  type: 'Items.apibench.converge.dev',
  spec: z.object({ value: z.number() }),
});

const ids = 100;
const concurrency = 32;

/** Calls per second of `call(i, worker)` from `concurrency` workers, each one call at a time, over `total` calls. */
async function rate(total: number, call: (i: number, worker: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) await call(next++, worker);
    }),
  );
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function seed(state: State): Promise<void> {
  for (let i = 0; i < ids; i++) await state.create(Items.make(`item-${i}`, { value: 0 }));
}

/** Updates ids in turn; each worker owns its own ids (worker, worker + concurrency, …), so writes never conflict. */
function updater(state: State) {
  const cache = new Map<string, AnyResource>();
  const turns = new Map<number, number>();
  return async (_: number, worker: number) => {
    const turn = turns.get(worker) ?? 0;
    turns.set(worker, turn + 1);
    const owned = Math.ceil((ids - worker) / concurrency);
    const id = `item-${worker + (turn % owned) * concurrency}`;
    const current = cache.get(id) ?? (await state.get(Items.pointer(id)));
    cache.set(id, await state.update({ ...current, spec: { value: turn } }));
  };
}

/** Events per second a watcher of `watcherState` receives while `writer` updates as fast as it can. */
async function deliveryRate(writer: State, watcherState: State, events: number): Promise<number> {
  let received = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const subscription = watcherState.watchKind(Items.kind()).subscribe({
    next: (e) => {
      if (e.type === 'updated' && ++received === events) resolveDone();
    },
  });
  // Let the watch start before the writes (the remote one needs a round trip).
  await writer.list(Items.kind());
  await new Promise((r) => setTimeout(r, 200));
  const start = process.hrtime.bigint();
  const current = new Map((await writer.list(Items.kind())).map((r) => [r.metadata.id, r]));
  for (let i = 0; i < events; i++) {
    const id = `item-${i % ids}`;
    const r = current.get(id)!;
    current.set(id, await writer.update({ ...r, spec: { value: i } }));
  }
  await done;
  subscription.unsubscribe();
  return events / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Runs the API benchmark. */
export async function run(): Promise<BenchReport> {
  const certs = await generateCertificates({ hosts: ['127.0.0.1'] });
  const history = { initialCapacity: 1_000, maxCapacity: 200_000, gap: 10 };

  const local = createState({ history });
  await seed(local);
  const served = createState({ history });
  await seed(served);
  const server = createApiServer({ state: served, tls: { ca: certs.ca.cert, ...certs.server } });
  const url = await server.listen();
  const remote = createRemoteState({
    url,
    tls: { ca: certs.ca.cert, ...certs.clients.admin },
    maxSockets: concurrency,
  });

  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    // Warm both paths (JIT, TLS sessions, keep-alive connections).
    await rate(2_000, (i) => remote.get(Items.pointer(`item-${i % ids}`)));
    await rate(2_000, (i) => local.get(Items.pointer(`item-${i % ids}`)));

    const localGet = await rate(200_000, (i) => local.get(Items.pointer(`item-${i % ids}`)));
    const remoteGet = await rate(10_000, (i) => remote.get(Items.pointer(`item-${i % ids}`)));
    rows.push(rateRow('get over the API', remoteGet, localGet, 'ops/s', 0.001));

    // Updates: `concurrency` ids written at once, never two writes of one id in flight.
    const localUpdate = await rate(100_000, updater(local));
    const remoteUpdate = await rate(5_000, updater(remote));
    rows.push(rateRow('update over the API', remoteUpdate, localUpdate, 'ops/s', 0.001));

    const localDelivery = await deliveryRate(local, local, 100_000);
    const remoteDelivery = await deliveryRate(served, remote, 50_000);
    rows.push(rateRow('watch delivery over the API', remoteDelivery, localDelivery, 'events/s', 0.02));

    for (const r of rows) {
      notes.push(`${r.figure}: 1/${Math.round(1 / (r.ratio ?? 1))} of the in-process store`);
    }
    notes.push(
      `server and client share this process (one core of work for both); ${concurrency} requests open at once; ` +
        'watch delivery: writes straight into the served store, one remote watchKind receiving them',
    );
  } finally {
    await remote.close?.();
    await server.close();
  }
  return { name: 'api', rows, notes };
}
