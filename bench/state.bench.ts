/**
 * `npm run bench -- state`: the in-memory store against bare baselines measured in the same run.
 */
import { Subject } from 'rxjs';
import { z } from 'zod';
import { type AnyResource, createState, defineResource } from '../src/index.js';
import { type BenchReport, type BenchRow, bestOf, costRow, heapUsed, rateRow } from './harness.js';

const Items = defineResource({
  type: 'Items.bench.converge.dev',
  spec: z.object({ value: z.number() }),
});

const ts = new Date(0).toISOString();
type Plain = { metadata: Record<string, unknown> & { id: string; version: number }; spec: { value: number } };

function plainResource(id: string, value: number): Plain {
  return {
    metadata: {
      namespace: 'default',
      type: Items.type,
      id,
      version: 1,
      owner: '',
      phase: 'running',
      finalizers: [],
      labels: {},
      annotations: {},
      created: ts,
      updated: ts,
    },
    spec: { value },
  };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `item-${String(i).padStart(7, '0')}`);

/** Bare baseline: a Map, spread + freeze + set + an event pushed to an array. */
function baselineWrites(idList: string[], writes: number): void {
  const map = new Map<string, Plain>();
  const events: unknown[] = [];
  for (const id of idList) {
    const r = Object.freeze(plainResource(id, 0));
    map.set(id, r);
    events.push({ type: 'created', resource: r });
  }
  for (let i = idList.length; i < writes; i++) {
    const id = idList[i % idList.length]!;
    const old = map.get(id)!;
    const next = Object.freeze({
      ...old,
      metadata: Object.freeze({ ...old.metadata, version: old.metadata.version + 1 }),
      spec: Object.freeze({ value: i }),
    });
    map.set(id, next);
    events.push({ type: 'updated', resource: next, old });
  }
}

async function storeWrites(idList: string[], writes: number): Promise<void> {
  const state = createState();
  const latest: AnyResource[] = [];
  for (const id of idList) latest.push(await state.create(Items.make(id, { value: 0 })));
  for (let i = idList.length; i < writes; i++) {
    const k = i % idList.length;
    const cur = latest[k]!;
    latest[k] = await state.update({ metadata: cur.metadata, spec: { value: i } });
  }
}

async function writeThroughput(): Promise<BenchRow> {
  const idList = ids(10_000);
  const writes = 200_000;
  const base = await bestOf(3, () => baselineWrites(idList, writes));
  const ours = await bestOf(3, () => storeWrites(idList, writes));
  return rateRow(
    'create+update throughput (10k ids, 200k writes)',
    writes / (ours / 1000),
    writes / (base / 1000),
    'writes/s',
    0.33,
  );
}

async function fanOut(): Promise<BenchRow> {
  const watchers = 1_000;
  const updates = 10_000;
  const payloads = Array.from({ length: updates }, (_, i) => ({ value: i }));
  let received = 0;
  const base = await bestOf(3, () => {
    const subject = new Subject<unknown>();
    received = 0;
    for (let w = 0; w < watchers; w++) subject.subscribe(() => received++);
    for (const p of payloads) subject.next(p);
  });
  if (received !== watchers * updates) throw new Error(`baseline delivered ${received}`);
  let delivered = 0;
  const ours = await bestOf(3, async () => {
    const state = createState();
    let r = await state.create(Items.make('hot', { value: 0 }));
    delivered = 0;
    const subs = Array.from({ length: watchers }, () =>
      state.watchKind(Items.kind()).subscribe(() => delivered++),
    );
    for (let i = 1; i < updates; i++) r = await state.update({ metadata: r.metadata, spec: payloads[i]! });
    await state.delivered!();
    for (const s of subs) s.unsubscribe();
  });
  if (delivered !== watchers * (updates - 1)) throw new Error(`store delivered ${delivered}`);
  const rate = (watchers * (updates - 1)) / (ours / 1000);
  const baseRate = (watchers * updates) / (base / 1000);
  return rateRow(
    'watch fan-out (1,000 kind watchers x 10,000 updates)',
    rate,
    baseRate,
    'deliveries/s',
    0.33,
  );
}

async function memory(): Promise<BenchRow> {
  const n = 100_000;
  const idList = ids(n);
  const before0 = heapUsed();
  const map = new Map<string, Plain>();
  for (let i = 0; i < n; i++) map.set(idList[i]!, plainResource(idList[i]!, i));
  const base = heapUsed() - before0;
  map.clear();
  const before1 = heapUsed();
  const state = createState();
  for (let i = 0; i < n; i++) await state.create(Items.make(idList[i]!, { value: i }));
  const ours = heapUsed() - before1;
  if ((await state.list(Items.kind())).length !== n) throw new Error('lost resources');
  return costRow('memory for 100k resources', ours, base, 'bytes', 1.5);
}

async function listing(): Promise<BenchRow[]> {
  const idList = ids(10_000);
  const shuffled = [...idList].sort(() => Math.random() - 0.5);
  const map = new Map<string, Plain>();
  const state = createState();
  for (const id of shuffled) {
    map.set(id, plainResource(id, 0));
    await state.create(Items.make(id, { value: 0 }));
  }
  const byId = (a: Plain, b: Plain) =>
    a.metadata.id < b.metadata.id ? -1 : a.metadata.id > b.metadata.id ? 1 : 0;
  const rounds = 200;
  const base = await bestOf(3, () => {
    for (let i = 0; i < rounds; i++) Array.from(map.values()).sort(byId);
  });
  const ours = await bestOf(3, async () => {
    for (let i = 0; i < rounds; i++) await state.list(Items.kind());
  });
  // The honest worst case: a write between every list invalidates the cached sorted view.
  let hot = await state.get(Items.pointer(idList[0]!));
  const oursAfterWrite = await bestOf(3, async () => {
    for (let i = 0; i < rounds; i++) {
      hot = await state.update({ metadata: hot.metadata, spec: { value: i } });
      await state.list(Items.kind());
    }
  });
  return [
    rateRow('list of 10k resources, sorted', rounds / (ours / 1000), rounds / (base / 1000), 'lists/s', 1),
    rateRow(
      'list of 10k resources, sorted, a write before each',
      rounds / (oursAfterWrite / 1000),
      rounds / (base / 1000),
      'lists/s',
      1,
    ),
  ];
}

/** A deterministic stream of indexes in [0, n). */
function lcg(n: number): () => number {
  let seed = 42;
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
}

async function scaling(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const writes = 100_000;
  const rates: number[] = [];
  const hotRates: number[] = [];
  const ratios: number[] = [];
  for (const n of [1_000, 10_000, 100_000, 1_000_000]) {
    const state = createState();
    const latest: AnyResource[] = new Array(n);
    for (let i = 0; i < n; i++) latest[i] = await state.create(Items.make(`s-${i}`, { value: 0 }));
    const storeRun = (pick: () => number) => async () => {
      for (let i = 0; i < writes; i++) {
        const k = pick();
        latest[k] = await state.update({ metadata: latest[k]!.metadata, spec: { value: i } });
      }
    };
    const ours = await bestOf(2, storeRun(lcg(n)));
    // The same random access pattern on a bare Map: what the memory hierarchy allows at this size.
    const map = new Map<string, Plain>();
    for (let i = 0; i < n; i++) map.set(`s-${i}`, Object.freeze(plainResource(`s-${i}`, 0)));
    const events: unknown[] = [];
    const base = await bestOf(2, () => {
      const pick = lcg(n);
      events.length = 0;
      for (let i = 0; i < writes; i++) {
        const id = `s-${pick()}`;
        const old = map.get(id)!;
        const next = Object.freeze({ ...old, spec: Object.freeze({ value: i }) });
        map.set(id, next);
        events.push({ type: 'updated', resource: next, old });
      }
    });
    const hotSet = Math.min(n, 1_000);
    const hot = await bestOf(2, storeRun(lcg(hotSet)));
    rates.push(writes / (ours / 1000));
    hotRates.push(writes / (hot / 1000));
    ratios.push(base / ours);
    rows.push(
      rateRow(
        `random writes over ${n.toLocaleString('en')} resources`,
        rates.at(-1)!,
        writes / (base / 1000),
        'writes/s',
        0.33,
      ),
    );
    rows.push({
      figure: `writes to a 1k hot set, ${n.toLocaleString('en')} stored`,
      value: hotRates.at(-1)!,
      unit: 'writes/s',
    });
  }
  const spread = (xs: number[]) => (Math.max(...xs) / Math.min(...xs) - 1) * 100;
  rows.push({
    figure: 'scaling: spread of random-write throughput 1k..1M',
    value: spread(rates),
    unit: '%',
    target: '<= 30 %',
    met: spread(rates) <= 30,
  });
  rows.push({
    figure: 'scaling: spread of ratio to bare Map 1k..1M',
    value: spread(ratios),
    unit: '%',
    target: '<= 30 %',
    met: spread(ratios) <= 30,
  });
  rows.push({
    figure: 'scaling: spread of hot-set write throughput 1k..1M',
    value: spread(hotRates),
    unit: '%',
    target: '<= 30 %',
    met: spread(hotRates) <= 30,
  });
  return rows;
}

/** Runs every figure of the state benchmark. */
export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  rows.push(await writeThroughput());
  rows.push(await fanOut());
  rows.push(await memory());
  rows.push(...(await listing()));
  rows.push(...(await scaling()));
  return {
    name: 'state',
    rows,
    notes: ['best of 3 (scaling: best of 2); baselines measured in the same process'],
  };
}
