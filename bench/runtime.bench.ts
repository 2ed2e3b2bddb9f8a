/**
 * `npm run bench -- runtime`: the controller runtime against baselines measured in the same run.
 *
 * - a 3-stage transform chain over 10k inputs (write the inputs, then `settled()`) against the same
 *   three map functions applied directly into `Map`s;
 * - the latency of one input change to its dependent output with 1,000 idle controllers registered,
 *   against the same with only the one controller;
 * - chain convergence at 1k, 10k and 100k inputs, and the growth exponent of its time.
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
import { type BenchReport, type BenchRow, costRow } from './harness.js';

const Ints = defineResource({ type: 'Ints.bench.converge.dev', spec: z.object({ value: z.number() }) });
const Strs = defineResource({ type: 'Strs.bench.converge.dev', spec: z.object({ value: z.string() }) });
const Lens = defineResource({ type: 'Lens.bench.converge.dev', spec: z.object({ value: z.number() }) });
const Flags = defineResource({ type: 'Flags.bench.converge.dev', spec: z.object({ value: z.boolean() }) });
const Idles = defineResource({ type: 'Idles.bench.converge.dev', spec: z.object({ value: z.number() }) });

type R<T> = { metadata: { id: string }; spec: { value: T } };
const f1 = (i: R<number>) => Strs.make(i.metadata.id, { value: `#${i.spec.value}` });
const f2 = (s: R<string>) => Lens.make(s.metadata.id, { value: s.spec.value.length });
const f3 = (l: R<number>) => Flags.make(l.metadata.id, { value: l.spec.value % 2 === 0 });

const ids = (n: number) => Array.from({ length: n }, (_, i) => `in-${String(i).padStart(7, '0')}`);
const silent = pino({ level: 'silent' });

function chainRuntime(state: State): Runtime {
  const runtime = createRuntime({ state, logger: silent });
  runtime.register(transformController({ name: 'IntToStr', input: Ints, output: Strs, map: f1 }));
  runtime.register(transformController({ name: 'StrToLen', input: Strs, output: Lens, map: f2 }));
  runtime.register(transformController({ name: 'LenToFlag', input: Lens, output: Flags, map: f3 }));
  return runtime;
}

/** Writes every input one by one, then waits until the chain has converged. */
async function chain(idList: readonly string[]): Promise<void> {
  const state = createState({ history: { maxCapacity: 10_000 } });
  const runtime = chainRuntime(state);
  await runtime.start();
  for (let i = 0; i < idList.length; i++) await state.create(Ints.make(idList[i]!, { value: i }));
  await runtime.settled();
  const flags = await state.list(Flags.kind());
  if (flags.length !== idList.length) throw new Error(`chain: ${flags.length} of ${idList.length} outputs`);
  await runtime.stop();
}

/** The same three functions applied directly, each stage into its own Map. */
function baselineChain(idList: readonly string[]): void {
  const ins = new Map<string, AnyResource>();
  const s1 = new Map<string, AnyResource>();
  const s2 = new Map<string, AnyResource>();
  const s3 = new Map<string, AnyResource>();
  for (let i = 0; i < idList.length; i++) ins.set(idList[i]!, Ints.make(idList[i]!, { value: i }));
  for (const [id, r] of ins) s1.set(id, f1(r as unknown as R<number>));
  for (const [id, r] of s1) s2.set(id, f2(r as unknown as R<string>));
  for (const [id, r] of s2) s3.set(id, f3(r as unknown as R<number>));
  if (s3.size !== idList.length) throw new Error('baseline: lost outputs');
}

/**
 * The store's share: the same writes the chain makes, issued directly on a store with no runtime and
 * no watchers: the inputs one by one, then per stage the transform's batches (16 inputs per
 * transaction, each a finalizer on the input and the output's create).
 */
async function storeOnlyChain(idList: readonly string[]): Promise<void> {
  const state = createState({ history: { maxCapacity: 10_000 } });
  const stages = [f1, f2, f3] as ((r: unknown) => AnyResource)[];
  let current: AnyResource[] = [];
  for (let i = 0; i < idList.length; i++)
    current.push(await state.create(Ints.make(idList[i]!, { value: i })));
  for (const [k, f] of stages.entries()) {
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
  runtime.register(transformController({ name: 'IntToStr', input: Ints, output: Strs, map: f1 }));
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

/**
 * Best (lowest) of `n` timings. Unlike the harness's `bestOf` this does not force a full GC before
 * each trial: that shrinks the heap, and the next allocation-heavy trial then pays for growing it
 * back (a 1k-input chain measured 40 ms warm and 250-470 ms right after a forced GC). Baselines are
 * timed the same way.
 */
async function bestOf(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Best (lowest) time of `a` and of `b` over `trials` alternating runs, so load spikes hit both alike. */
async function interleaved(
  trials: number,
  a: () => unknown | Promise<unknown>,
  b: () => unknown | Promise<unknown>,
): Promise<[number, number]> {
  let bestA = Number.POSITIVE_INFINITY;
  let bestB = Number.POSITIVE_INFINITY;
  for (let i = 0; i < trials; i++) {
    bestA = Math.min(bestA, await bestOf(1, a));
    bestB = Math.min(bestB, await bestOf(1, b));
  }
  return [bestA, bestB];
}

export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];

  // Warm the JIT (zod's compiled parsers, the store, the runtime) before any figure.
  const ten = ids(10_000);
  for (let i = 0; i < 2; i++) {
    await chain(ten);
    baselineChain(ten);
  }
  // Nine alternating trials: on shared 2-core machines a trial can lose a third of its CPU to
  // neighbours, and the best of each side is what both are compared by.
  const [ours, base] = await interleaved(
    9,
    () => chain(ten),
    () => baselineChain(ten),
  );
  rows.push(costRow('3-stage transform chain, 10k inputs: write → settled()', ours, base, 'ms', 5));
  const [, storeOnly] = await interleaved(
    3,
    () => chain(ten),
    () => storeOnlyChain(ten),
  );
  rows.push({
    figure: '  of which the store: the same 70k writes, batched alike, straight on the store',
    value: storeOnly,
    unit: 'ms',
    baseline: base,
    ratio: storeOnly / base,
  });
  rows.push({
    figure: "  runtime / store-only (the runtime's own overhead)",
    value: ours / storeOnly,
    unit: 'x',
  });

  await changeLatency(1_000, 50);
  await changeLatency(1, 50);
  let many = Number.POSITIVE_INFINITY;
  let one = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    many = Math.min(many, await changeLatency(1_000, 300));
    one = Math.min(one, await changeLatency(1, 300));
  }
  rows.push(costRow('one change → output written, 1,000 idle controllers (median)', many, one, 'ms', 1.2));

  const sizes = [1_000, 10_000, 100_000];
  const times: number[] = [];
  for (const n of sizes) {
    const list = ids(n);
    const t = await bestOf(n >= 100_000 ? 3 : 9, () => chain(list));
    times.push(t);
    rows.push({ figure: `chain convergence, ${n.toLocaleString('en')} inputs`, value: t, unit: 'ms' });
  }
  const exponent = Math.log(times[2]! / times[0]!) / Math.log(sizes[2]! / sizes[0]!);
  rows.push({
    figure: 'chain convergence growth exponent (1k → 100k)',
    value: exponent,
    unit: 'log t / log n',
    target: '<= 1.1',
    met: exponent <= 1.1,
  });
  /** The growth exponent 1k → 100k of another workload, for comparison. */
  const growthRow = async (figure: string, fn: (idList: readonly string[]) => unknown) => {
    const small = await bestOf(9, () => fn(ids(sizes[0]!)));
    const large = await bestOf(3, () => fn(ids(sizes[2]!)));
    const value = Math.log(large / small) / Math.log(sizes[2]! / sizes[0]!);
    rows.push({ figure, value, unit: 'log t / log n' });
  };
  // The store's own share of the work, and the baseline itself: plain Maps slow down per item too
  // as they outgrow the caches.
  await growthRow('  store-only writes, growth exponent (1k → 100k)', storeOnlyChain);
  await growthRow('  the Maps baseline, growth exponent (1k → 100k)', baselineChain);
  notes.push(
    'chain baseline: Ints.make + f1/f2/f3 (each a zod-validated make) into four Maps: no store, no events, no finalizers',
    'latency baseline: the same transform with no other controller registered; the idle ones watch 1,000 other kinds',
    'the runtime figures include the in-memory store: 7 store writes and their watch events per input',
  );
  return { name: 'runtime', rows, notes };
}
