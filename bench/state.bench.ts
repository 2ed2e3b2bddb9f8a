/**
 * `npm run bench -- state`: the in-memory store against bare baselines measured in the same run.
 */
import { Subject } from 'rxjs';
import { z } from 'zod';
import { type AnyResource, createState, defineResource } from '../src/index.js';
import {
  type BenchReport,
  type BenchRow,
  bestOf,
  costRow,
  heapUsed,
  pairedRateRow,
  pairedTrials,
} from './harness.js';

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

/** The store's default history: a ring of the last 10,000 events per kind. */
const historyCapacity = 10_000;

/** A bounded ring of events, as the store keeps per kind (its default capacity). */
class EventRing {
  readonly #buffer: unknown[] = new Array(historyCapacity);
  #pos = 0;
  push(event: unknown): void {
    this.#buffer[this.#pos++ % historyCapacity] = event;
  }
}

/** A stored resource's next version, as plainly as it can be made: literal metadata sharing the old parts. */
function baselineUpdate(old: Plain, value: number): Plain {
  const m = old.metadata;
  return Object.freeze({
    metadata: Object.freeze({
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      version: m.version + 1,
      owner: m.owner,
      phase: m.phase,
      finalizers: m.finalizers,
      labels: m.labels,
      annotations: m.annotations,
      created: m.created,
      updated: m.updated,
    }),
    spec: Object.freeze({ value }),
  });
}

/**
 * The plainest form of the store's write: a new frozen object with a literal metadata object that
 * shares the old labels, annotations and finalizers (as the store does), set in a Map, and a frozen
 * event in a bounded ring. No validation, no version checks, no watchers.
 */
function baselineWrites(idList: string[], writes: number): void {
  const map = new Map<string, Plain>();
  const ring = new EventRing();
  for (const id of idList) {
    const r = Object.freeze(plainResource(id, 0));
    map.set(id, r);
    ring.push(Object.freeze({ type: 'created', resource: r }));
  }
  for (let i = idList.length; i < writes; i++) {
    const id = idList[i % idList.length]!;
    const old = map.get(id)!;
    const next = baselineUpdate(old, i);
    map.set(id, next);
    ring.push(Object.freeze({ type: 'updated', resource: next, old }));
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

async function writeThroughput(): Promise<BenchRow[]> {
  const inOrder = ids(10_000);
  const shuffled = shuffle(inOrder);
  const writes = 200_000;
  const rows: BenchRow[] = [];
  for (const [label, idList] of [
    ['in order', inOrder],
    ['shuffled ids', shuffled],
  ] as const) {
    const t = await pairedTrials(
      7,
      () => storeWrites(idList, writes),
      () => baselineWrites(idList, writes),
    );
    rows.push(
      pairedRateRow(`create+update throughput (10k ids ${label}, 200k writes)`, t, writes, 'writes/s', 0.33),
    );
  }
  return rows;
}

async function fanOut(): Promise<BenchRow> {
  const watchers = 1_000;
  const updates = 10_000;
  const payloads = Array.from({ length: updates }, (_, i) => ({ value: i }));
  let received = 0;
  const baseline = () => {
    const subject = new Subject<unknown>();
    received = 0;
    const subs = Array.from({ length: watchers }, () => subject.subscribe(() => received++));
    for (let i = 1; i < updates; i++) subject.next(payloads[i]);
    for (const s of subs) s.unsubscribe();
    if (received !== watchers * (updates - 1)) throw new Error(`baseline delivered ${received}`);
  };
  let delivered = 0;
  const ours = async () => {
    const state = createState();
    let r = await state.create(Items.make('hot', { value: 0 }));
    delivered = 0;
    const subs = Array.from({ length: watchers }, () =>
      state.watchKind(Items.kind()).subscribe(() => delivered++),
    );
    for (let i = 1; i < updates; i++) r = await state.update({ metadata: r.metadata, spec: payloads[i]! });
    await state.delivered!();
    for (const s of subs) s.unsubscribe();
    if (delivered !== watchers * (updates - 1)) throw new Error(`store delivered ${delivered}`);
  };
  const t = await pairedTrials(5, ours, baseline);
  return pairedRateRow(
    'watch fan-out (1,000 kind watchers x 10,000 updates)',
    t,
    watchers * (updates - 1),
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

/** A sorted array of resources kept up to date by binary search: the plainest always-sorted list. */
class SortedArray {
  readonly items: Plain[] = [];
  #index(id: string): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.metadata.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  put(r: Plain): void {
    const i = this.#index(r.metadata.id);
    if (this.items[i]?.metadata.id === r.metadata.id) this.items[i] = r;
    else this.items.splice(i, 0, r);
  }
}

async function listing(): Promise<BenchRow[]> {
  const shuffled = shuffle(ids(10_000));
  const sorted = new SortedArray();
  const state = createState();
  for (const id of shuffled) {
    sorted.put(Object.freeze(plainResource(id, 0)));
    await state.create(Items.make(id, { value: 0 }));
  }
  const rounds = 200;
  const quiet = await pairedTrials(
    7,
    async () => {
      for (let i = 0; i < rounds; i++) await state.list(Items.kind());
    },
    () => {
      for (let i = 0; i < rounds; i++) sorted.items.slice();
    },
  );
  // A write between every list: the store's sorted view must take the change in, as must the array.
  let hot = await state.get(Items.pointer(shuffled[0]!));
  const hotId = shuffled[0]!;
  const afterWrite = await pairedTrials(
    7,
    async () => {
      for (let i = 0; i < rounds; i++) {
        hot = await state.update({ metadata: hot.metadata, spec: { value: i } });
        await state.list(Items.kind());
      }
    },
    () => {
      for (let i = 0; i < rounds; i++) {
        sorted.put(Object.freeze(plainResource(hotId, i)));
        sorted.items.slice();
      }
    },
  );
  return [
    pairedRateRow(
      'list of 10k resources, sorted (vs a sorted array kept up to date)',
      quiet,
      rounds,
      'lists/s',
      1,
    ),
    pairedRateRow('list of 10k resources, sorted, a write before each', afterWrite, rounds, 'lists/s', 1),
  ];
}

/** A deterministic shuffle (Fisher-Yates over a fixed LCG), so every run measures the same order. */
function shuffle<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  const pick = lcg(2_147_483_647);
  for (let i = out.length - 1; i > 0; i--) {
    const j = pick() % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
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
    // The same random access pattern on a bare Map: what the memory hierarchy allows at this size.
    const map = new Map<string, Plain>();
    for (let i = 0; i < n; i++) map.set(`s-${i}`, Object.freeze(plainResource(`s-${i}`, 0)));
    const t = await pairedTrials(3, storeRun(lcg(n)), () => {
      const pick = lcg(n);
      const ring = new EventRing();
      for (let i = 0; i < writes; i++) {
        const id = `s-${pick()}`;
        const old = map.get(id)!;
        const next = baselineUpdate(old, i);
        map.set(id, next);
        ring.push(Object.freeze({ type: 'updated', resource: next, old }));
      }
    });
    const hotSet = Math.min(n, 1_000);
    const hot = await bestOf(2, storeRun(lcg(hotSet)));
    rates.push(writes / (t.ours / 1000));
    hotRates.push(writes / (hot / 1000));
    ratios.push(1 / t.ratio);
    rows.push(
      pairedRateRow(`random writes over ${n.toLocaleString('en')} resources`, t, writes, 'writes/s', 0.33),
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
  rows.push(...(await writeThroughput()));
  rows.push(await fanOut());
  rows.push(await memory());
  rows.push(...(await listing()));
  rows.push(...(await scaling()));
  return {
    name: 'state',
    rows,
    notes: [
      'every timed figure: medians of interleaved pairs (store, baseline) in the same process; ratio = median per-pair ratio',
      'baselines: frozen objects in a Map with events in a bounded ring of the same capacity as the store history; the list baseline is a sorted array kept up to date',
    ],
  };
}
