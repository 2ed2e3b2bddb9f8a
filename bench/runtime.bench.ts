/**
 * `npm run bench -- runtime`: the controller runtime against baselines measured in the same run.
 *
 * - a 3-stage transform chain over 10k inputs (write the inputs, then `settled()`) against the same
 *   three map functions applied directly into `Map`s, with ids in order, shuffled, and remapped (an
 *   output id that differs from its input's);
 * - a teardown wave: 10k inputs torn down through the chain, against deleting them from the Maps;
 * - the latency of one input change to its dependent output with 1,000 idle controllers registered,
 *   against the same with only the one controller, and one change read by 1,000 controllers against
 *   1,000 times the cost of one reader;
 * - chain convergence at 1k, 10k and 100k inputs, and its growth exponent next to the baseline's.
 *
 * Every timed ratio is the median of interleaved (chain, baseline) pairs run in the same process.
 */
import { pino } from 'pino';
import { z } from 'zod';
import {
  type AnyResource,
  createRuntime,
  createState,
  defineController,
  defineResource,
  input,
  type Runtime,
  type State,
  type TransactionOp,
  transformController,
} from '../src/index.js';
import {
  type BenchReport,
  type BenchRow,
  type Cost,
  median,
  pairedCostRow,
  pairedCosts,
  pairedMeasures,
  pairedTrials,
  startCost,
} from './harness.js';

const Ints = defineResource({ type: 'Ints.bench.converge.dev', spec: z.object({ value: z.number() }) });
const Strs = defineResource({ type: 'Strs.bench.converge.dev', spec: z.object({ value: z.string() }) });
const Lens = defineResource({ type: 'Lens.bench.converge.dev', spec: z.object({ value: z.number() }) });
const Flags = defineResource({ type: 'Flags.bench.converge.dev', spec: z.object({ value: z.boolean() }) });
const Idles = defineResource({ type: 'Idles.bench.converge.dev', spec: z.object({ value: z.number() }) });

type R<T> = { metadata: { id: string }; spec: { value: T } };
/** How a stage names its output: the input's id, or another id (a remapped 1:1 chain). */
type IdMap = (id: string) => string;
const sameId: IdMap = (id) => id;
/** Reverses the id, so outputs sort in another order than their inputs. */
const remapId: IdMap = (id) => `o${[...id].reverse().join('')}`;
const stages = (m: IdMap) =>
  [
    (i: R<number>) => Strs.make(m(i.metadata.id), { value: `#${i.spec.value}` }),
    (s: R<string>) => Lens.make(m(s.metadata.id), { value: s.spec.value.length }),
    (l: R<number>) => Flags.make(m(l.metadata.id), { value: l.spec.value % 2 === 0 }),
  ] as const;
const [f1, f2, f3] = stages(sameId);

const ids = (n: number) => Array.from({ length: n }, (_, i) => `in-${String(i).padStart(7, '0')}`);
const silent = pino({ level: 'silent' });

/** A deterministic shuffle (Fisher-Yates over a fixed LCG), so every run measures the same order. */
function shuffle<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function chainRuntime(state: State, idMap: IdMap = sameId): Runtime {
  const [m1, m2, m3] = stages(idMap);
  const runtime = createRuntime({ state, logger: silent });
  runtime.register(
    transformController({ inputFinalizers: true, name: 'IntToStr', input: Ints, output: Strs, map: m1 }),
  );
  runtime.register(
    transformController({ inputFinalizers: true, name: 'StrToLen', input: Strs, output: Lens, map: m2 }),
  );
  runtime.register(
    transformController({ inputFinalizers: true, name: 'LenToFlag', input: Lens, output: Flags, map: m3 }),
  );
  return runtime;
}

/** Writes every input one by one, then waits until the chain has converged. */
async function chain(idList: readonly string[], idMap: IdMap = sameId): Promise<void> {
  const state = createState({ history: { maxCapacity: 10_000 } });
  const runtime = chainRuntime(state, idMap);
  await runtime.start();
  for (let i = 0; i < idList.length; i++) await state.create(Ints.make(idList[i]!, { value: i }));
  await runtime.settled();
  const flags = await state.list(Flags.kind());
  if (flags.length !== idList.length) throw new Error(`chain: ${flags.length} of ${idList.length} outputs`);
  await runtime.stop();
}

/** The same three functions applied directly, each stage into its own Map. */
function baselineChain(idList: readonly string[], idMap: IdMap = sameId): Map<string, AnyResource>[] {
  const [m1, m2, m3] = stages(idMap);
  const ins = new Map<string, AnyResource>();
  const s1 = new Map<string, AnyResource>();
  const s2 = new Map<string, AnyResource>();
  const s3 = new Map<string, AnyResource>();
  for (let i = 0; i < idList.length; i++) ins.set(idList[i]!, Ints.make(idList[i]!, { value: i }));
  for (const r of ins.values()) {
    const o = m1(r as unknown as R<number>);
    s1.set(o.metadata.id, o);
  }
  for (const r of s1.values()) {
    const o = m2(r as unknown as R<string>);
    s2.set(o.metadata.id, o);
  }
  for (const r of s2.values()) {
    const o = m3(r as unknown as R<number>);
    s3.set(o.metadata.id, o);
  }
  if (s3.size !== idList.length) throw new Error('baseline: lost outputs');
  return [ins, s1, s2, s3];
}

/** A converged chain over `idList`, ready for its inputs to be torn down. */
async function convergedChain(idList: readonly string[]): Promise<{ state: State; runtime: Runtime }> {
  const state = createState({ history: { maxCapacity: 10_000 } });
  const runtime = chainRuntime(state);
  await runtime.start();
  for (let i = 0; i < idList.length; i++) await state.create(Ints.make(idList[i]!, { value: i }));
  await runtime.settled();
  return { state, runtime };
}

/**
 * The teardown wave: every input torn down at once; the chain tears its outputs down stage by stage
 * and releases its holds; then every input is destroyed. Returns the time of the wave alone.
 */
async function teardownWave(idList: readonly string[]): Promise<Cost> {
  const { state, runtime } = await convergedChain(idList);
  const stop = startCost();
  for (const id of idList) await state.teardown(Ints.pointer(id));
  await runtime.settled();
  for (const id of idList) await state.destroy(Ints.pointer(id));
  const cost = stop();
  const left = (await state.list(Ints.kind())).length + (await state.list(Flags.kind())).length;
  if (left !== 0) throw new Error(`teardown wave: ${left} resources left`);
  await runtime.stop();
  return cost;
}

/** A frozen copy of `r` with some metadata changed: the plainest immutable write. */
function withMetadata(r: AnyResource, patch: Partial<AnyResource['metadata']>): AnyResource {
  return Object.freeze({ metadata: Object.freeze({ ...r.metadata, ...patch }), spec: r.spec });
}

/**
 * The baseline's teardown, the same writes in their plainest form on the Maps: per input and stage,
 * the input marked tearing down, its output marked tearing down and deleted, the input's hold
 * released; then the input deleted. Only the wave is timed.
 */
function baselineTeardown(idList: readonly string[]): Cost {
  const maps = baselineChain(idList);
  const stop = startCost();
  for (const id of idList) {
    for (let k = 0; k < maps.length - 1; k++) {
      const from = maps[k]!;
      const to = maps[k + 1]!;
      from.set(id, withMetadata(from.get(id)!, { phase: 'tearingDown' }));
      to.set(id, withMetadata(to.get(id)!, { phase: 'tearingDown' }));
    }
  }
  for (const id of idList) {
    for (let k = maps.length - 1; k > 0; k--) {
      maps[k]!.delete(id);
      const from = maps[k - 1]!;
      from.set(id, withMetadata(from.get(id)!, { finalizers: [] }));
    }
    maps[0]!.delete(id);
  }
  const cost = stop();
  if (maps.some((m) => m.size !== 0)) throw new Error('baseline teardown: left resources');
  return cost;
}

/**
 * The store's share: the same writes the chain makes, issued directly on a store with no runtime and
 * no watchers: the inputs one by one, then per stage the transform's batches (16 inputs per
 * transaction, each a finalizer on the input and the output's create).
 */
async function storeOnlyChain(idList: readonly string[]): Promise<void> {
  const state = createState({ history: { maxCapacity: 10_000 } });
  const mapped = [f1, f2, f3] as ((r: unknown) => AnyResource)[];
  let current: AnyResource[] = [];
  for (let i = 0; i < idList.length; i++)
    current.push(await state.create(Ints.make(idList[i]!, { value: i })));
  for (const [k, f] of mapped.entries()) {
    const next: AnyResource[] = [];
    const finalizers = Object.freeze([`stage${k}`]);
    for (let start = 0; start < current.length; start += 16) {
      const ops: TransactionOp[] = [];
      for (const r of current.slice(start, start + 16)) {
        const m = r.metadata;
        ops.push(
          { op: 'update', resource: { metadata: { ...m, finalizers }, spec: r.spec }, owner: m.owner },
          { op: 'create', resource: f(r), owner: `stage${k}` },
        );
      }
      const results = await state.transaction(ops);
      for (let j = 1; j < results.length; j += 2) next.push(results[j]!);
    }
    current = next;
  }
}

/** Median latency of `rounds` single-input changes until the dependent output is written. */
async function changeLatency(idleControllers: number, rounds: number): Promise<number> {
  const state = createState();
  const runtime = createRuntime({ state, logger: silent });
  runtime.register(
    transformController({ inputFinalizers: true, name: 'IntToStr', input: Ints, output: Strs, map: f1 }),
  );
  for (let i = 0; i < idleControllers; i++) {
    runtime.register(
      defineController({
        name: `Idle${i}`,
        inputs: [input.weak(Idles, { namespace: `idle-${i}` })],
        outputs: [],
        reconcile() {},
      }),
    );
  }
  await runtime.start();
  const idList = ids(100);
  for (let i = 0; i < idList.length; i++) await state.create(Ints.make(idList[i]!, { value: i }));
  await runtime.settled();
  const target = Ints.pointer(idList[50]!);
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const current = await state.get(target);
    const start = process.hrtime.bigint();
    await state.update({ ...current, spec: { value: 1_000_000 + round } });
    await runtime.settled();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    const out = await state.get(Strs.pointer(idList[50]!));
    if (out.spec.value !== `#${1_000_000 + round}`) throw new Error('latency: output not written');
  }
  await runtime.stop();
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** A store with `readers` controllers reading the kind of one hot resource; `change()` writes it and waits. */
async function readerRig(readers: number): Promise<{ change(): Promise<void>; stop(): Promise<void> }> {
  const state = createState();
  const runtime = createRuntime({ state, logger: silent });
  const target = Ints.pointer('hot');
  let reads = 0;
  for (let i = 0; i < readers; i++) {
    runtime.register(
      defineController({
        name: `Reader${i}`,
        inputs: [input.weak(Ints)],
        outputs: [],
        async reconcile(ctx) {
          await ctx.get(target);
          reads++;
        },
      }),
    );
  }
  await state.create(Ints.make('hot', { value: 0 }));
  await runtime.start();
  await runtime.settled();
  let round = 0;
  return {
    async change() {
      const current = await state.get(target);
      reads = 0;
      await state.update({ ...current, spec: { value: ++round } });
      await runtime.settled();
      if (reads < readers) throw new Error(`reader latency: ${reads} of ${readers} readers ran`);
    },
    stop: () => runtime.stop(),
  };
}

/**
 * Median latency of `rounds` single changes until every one of `readers` controllers reading the
 * changed kind has reconciled (each reads the changed resource).
 */
async function readerLatency(readers: number, rounds: number): Promise<number> {
  const rig = await readerRig(readers);
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    await rig.change();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  await rig.stop();
  return median(samples);
}

/**
 * The cost of `changes` single changes in one timed window, each until all `readers` have
 * reconciled, divided by `per`: one window of like length on both sides of a pair, so GC and
 * a neighbour's load weigh on both alike (a median of 20 µs samples drops what a 20 ms one cannot).
 */
async function readerWindow(readers: number, changes: number, per: number): Promise<Cost> {
  const rig = await readerRig(readers);
  await rig.change();
  const stop = startCost();
  for (let i = 0; i < changes; i++) await rig.change();
  const cost = stop();
  await rig.stop();
  return { wall: cost.wall / per, cpu: cost.cpu / per };
}

/** One row per id shape: the chain against its Maps baseline, in interleaved pairs. */
async function chainShapes(ten: readonly string[]): Promise<BenchRow[]> {
  const shapes: [string, readonly string[], IdMap][] = [
    ['ids in order', ten, sameId],
    ['shuffled ids', shuffle(ten), sameId],
    ['remapped output ids', ten, remapId],
  ];
  const rows: BenchRow[] = [];
  for (const [label, idList, idMap] of shapes) {
    const t = await pairedTrials(
      9,
      () => chain(idList, idMap),
      () => baselineChain(idList, idMap),
    );
    rows.push(pairedCostRow(`3-stage transform chain, 10k inputs, ${label}: write → settled()`, t, 5));
  }
  return rows;
}

/** The teardown wave against the Maps' deletes, in interleaved pairs (median of per-pair ratios). */
async function teardownRows(ten: readonly string[]): Promise<BenchRow[]> {
  const t = await pairedCosts(
    5,
    () => teardownWave(ten),
    () => baselineTeardown(ten),
  );
  return [
    pairedCostRow('teardown wave: 10k inputs torn down through the chain', t.wall, 8),
    pairedCostRow('  the same pairs in CPU time', t.cpu, 8),
  ];
}

/**
 * The sections to run: all by default, or those named in `BENCH_ONLY` (comma-separated: chain,
 * store, teardown, idle, readers, growth), to re-measure one figure a few times on a busy machine.
 */
function sections(): (name: string) => boolean {
  const only = process.env.BENCH_ONLY?.split(',').filter((s) => s !== '');
  return (name) => only === undefined || only.length === 0 || only.includes(name);
}

export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const want = sections();

  // Warm the JIT (zod's compiled parsers, the store, the runtime) before any figure.
  const ten = ids(10_000);
  if (['chain', 'store', 'teardown', 'growth'].some(want)) {
    for (let i = 0; i < 2; i++) {
      await chain(ten);
      baselineChain(ten);
    }
  }
  if (want('chain')) rows.push(...(await chainShapes(ten)));
  if (want('store')) {
    const storeOnly = await pairedTrials(
      3,
      () => storeOnlyChain(ten),
      () => baselineChain(ten),
    );
    rows.push({
      figure: '  of which the store: the same 70k writes, batched alike, straight on the store',
      value: storeOnly.ours,
      unit: 'ms',
      baseline: storeOnly.baseline,
      ratio: storeOnly.ratio,
    });
  }

  if (want('teardown')) rows.push(...(await teardownRows(ten)));

  if (want('idle')) {
    await changeLatency(1_000, 50);
    await changeLatency(1, 50);
    const idle = await pairedMeasures(
      5,
      () => changeLatency(1_000, 200),
      () => changeLatency(1, 200),
    );
    rows.push(
      pairedCostRow('one change → output written, 1,000 idle controllers (median latency)', idle, 1.2),
    );
  }

  if (want('readers')) {
    await readerLatency(1_000, 10);
    const readers = await pairedMeasures(
      5,
      () => readerLatency(1_000, 30),
      async () => 1_000 * (await readerLatency(1, 300)),
    );
    rows.push(
      pairedCostRow(
        'one change read by 1,000 controllers, vs 1,000 × one reader (median latencies)',
        readers,
        1.1,
      ),
    );
    const windows = await pairedCosts(
      5,
      () => readerWindow(1_000, 30, 30),
      () => readerWindow(1, 1_000, 1),
    );
    rows.push(
      pairedCostRow(
        'one change read by 1,000 controllers (mean of 30), vs 1,000 changes read by one (one window)',
        windows.wall,
        1.1,
      ),
      pairedCostRow('  the same pairs in CPU time', windows.cpu, 1.1),
    );
  }

  if (want('growth')) rows.push(...(await growthRows()));
  notes.push(
    'timed ratios: median of per-pair ratios over interleaved (measured, baseline) pairs in this process; spread: lowest and highest pair',
    'chain baseline: Ints.make + f1/f2/f3 (each a zod-validated make) into four Maps: no store, no events, no finalizers',
    'teardown baseline: the same phase changes, hold releases and deletes as frozen copies in those Maps (only the wave is timed on both sides)',
    'latency baseline: the same transform with no other controller registered; the idle ones watch 1,000 other kinds',
    'the runtime figures include the in-memory store: 7 store writes and their watch events per input',
  );
  return { name: 'runtime', rows, notes };
}

/** Chain convergence at 1k, 10k, 100k inputs and the growth exponents of the chain and its baseline. */
async function growthRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const sizes = [1_000, 10_000, 100_000];
  const ours: number[] = [];
  const base: number[] = [];
  for (const n of sizes) {
    const list = ids(n);
    const t = await pairedTrials(
      n >= 100_000 ? 3 : 7,
      () => chain(list),
      () => baselineChain(list),
    );
    ours.push(t.ours);
    base.push(t.baseline);
    rows.push({ figure: `chain convergence, ${n.toLocaleString('en')} inputs`, value: t.ours, unit: 'ms' });
  }
  const exponent = (xs: number[]) => Math.log(xs[2]! / xs[0]!) / Math.log(sizes[2]! / sizes[0]!);
  const baseExponent = exponent(base);
  rows.push({
    figure: 'chain convergence growth exponent (1k → 100k)',
    value: exponent(ours),
    unit: 'log t / log n',
    baseline: baseExponent,
    target: `<= baseline's + 0.05 (${(baseExponent + 0.05).toFixed(2)})`,
    met: exponent(ours) <= baseExponent + 0.05,
  });
  return rows;
}
