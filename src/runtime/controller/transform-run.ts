import { isConflictError, isNotFoundError, isUnsupportedError } from '../errors.js';
import type { Kind } from '../resource/pointer.js';
import { pointerOf } from '../resource/pointer.js';
import type { AnyResource } from '../resource/resource.js';
import { sameContent, throwCollected, withoutFinalizers, writeOutput } from './generic-support.js';
import { OrderedMemo } from './ordered-memo.js';
import type { ContextOp, ReconcileContext } from './reconcile-context.js';
import { SortedLookup } from './sorted-lookup.js';
import { type AnyMap, type MemoEntry, markSynced, RunMapper } from './transform-memo.js';
import { RunReads } from './transform-reads.js';

/** A transform's settings, checked and resolved from its options. @internal */
export interface TransformSettings {
  /** The controller's name: the owner of its outputs and the finalizer it puts on inputs. */
  readonly name: string;
  readonly map: AnyMap;
  /** Throws unless `map`'s result is an output of the declared kind; normalises `undefined`. */
  readonly check: (desired: AnyResource | null | undefined) => AnyResource | null;
  readonly inKind: Kind;
  readonly outKind: Kind;
  readonly inputFinalizers: boolean;
  readonly ignoreTearingDownInputs: boolean;
}

/** What one runtime's instance of a transform keeps between runs (made at its first run there). */
interface TransformState {
  /** Per input id, in id order (see OrderedMemo). */
  readonly memo: OrderedMemo<MemoEntry>;
  /** New outputs per transaction: 16 (32 ops with their holds) fits etcd's default --max-txn-ops with its event records. */
  batchLimit: number;
}

function newTransformState(): TransformState {
  return { memo: new OrderedMemo<MemoEntry>(), batchLimit: 16 };
}

/** One output to write for an input: a new one (`existing` undefined) or a change of the listed one. */
interface OutputWrite {
  readonly input: AnyResource;
  /** Put the transform's finalizer on the input in the same step (input finalizers, not yet held). */
  readonly hold: boolean;
  readonly existing: AnyResource | undefined;
  readonly entry: MemoEntry;
}

/**
 * An input that holds the transform's finalizer and may be released: with the id of the output that
 * must be gone first, `undefined` when none, or `null` when unknown (then every output no running
 * input wants must be gone first).
 */
type Release = readonly [input: AnyResource, outputId: string | null | undefined];

/**
 * One run of a transform, in four steps a reader can follow:
 *
 * 1. {@link plan}: list inputs and outputs, give each input its desired output (remembered or
 *    mapped), and note what to write, which outputs are wanted and which inputs may be released;
 * 2. {@link commit}: write the outputs, new ones batched in transactions through the context;
 * 3. {@link cleanUp}: tear down and destroy the owned outputs no running input wants (their input
 *    is gone, maps to nothing, or is tearing down) and old generations still tearing down;
 * 4. {@link release}: take the finalizer off tearing-down inputs whose output is gone.
 *
 * Failures of one input do not stop the others: they are collected and thrown at the end, so the
 * run is retried with backoff and the error shows in logs and metrics. @internal
 */
export class TransformRun {
  readonly #ctx: ReconcileContext;
  readonly #t: TransformSettings;
  readonly #own: TransformState;
  readonly #errors: unknown[] = [];
  #outputs: readonly AnyResource[] = [];
  /** The listed outputs; those a running input wants are marked. */
  #listed = new SortedLookup([]);
  readonly #writes: OutputWrite[] = [];
  readonly #creates: OutputWrite[] = [];
  readonly #releases: Release[] = [];
  /** Owned outputs not wanted that still exist after clean-up (held by finalizers, or failed). */
  readonly #remaining = new Set<string>();
  /** A running input's `map` failed and its output is not known: clean-up leaves every output. */
  #outputsUncertain = false;

  constructor(ctx: ReconcileContext, settings: TransformSettings) {
    this.#ctx = ctx;
    this.#t = settings;
    // Per runtime: a definition shared by two runtimes (or a restart) never shares what it remembers.
    this.#own = ctx.local(newTransformState);
  }

  /** Runs the four steps; throws what failed. */
  async run(): Promise<void> {
    await this.plan();
    await this.commit();
    await this.cleanUp();
    await this.release();
    throwCollected(this.#errors, this.#t.name);
  }

  /** Step 1: what to write, which outputs are wanted, which inputs may be released. */
  async plan(): Promise<void> {
    const ctx = this.#ctx;
    const inputs = await ctx.list(this.#t.inKind);
    this.#outputs = await ctx.list(this.#t.outKind);
    this.#listed = new SortedLookup(this.#outputs);
    const memo = this.#own.memo.beginRun();
    const mapper = new RunMapper(this.#t.map, this.#t.check, memo, new RunReads(ctx));
    for (const i of inputs) {
      try {
        const pending = this.#planInput(mapper, i);
        if (pending !== undefined) await pending;
      } catch (error) {
        this.#errors.push(error);
      }
    }
    // Inputs this run did not meet (gone) are forgotten.
    memo.commit();
  }

  /** Plans one input; returns a promise only when there is something to wait for. */
  #planInput(mapper: RunMapper, i: AnyResource): Promise<void> | undefined {
    const { inputFinalizers, ignoreTearingDownInputs, name } = this.#t;
    const held = inputFinalizers && i.metadata.finalizers.includes(name);
    const known = mapper.known(i);
    if (i.metadata.phase === 'tearingDown' && !ignoreTearingDownInputs) {
      // Its output is not wanted: clean-up takes it. A held input is released once it is gone.
      return held ? this.#planRelease(mapper, i, known) : undefined;
    }
    const before = known?.desired?.metadata.id;
    let entry: MemoEntry | Promise<MemoEntry>;
    try {
      entry = mapper.desired(i, known);
    } catch (error) {
      this.#mapFailed(mapper, known, error);
      return undefined;
    }
    if (entry instanceof Promise) {
      return entry.then(
        (e) => this.#planOutput(i, held, e, before),
        (error: unknown) => this.#mapFailed(mapper, known, error),
      );
    }
    this.#planOutput(i, held, entry, before);
    return undefined;
  }

  /**
   * `map` threw for an input that is still there: the run fails (logged, counted, retried), and
   * the output it last mapped to stays until `map` works again. When this runtime never mapped it,
   * any output no other input wants may be its own, so none is cleaned up this run.
   */
  #mapFailed(mapper: RunMapper, known: MemoEntry | undefined, error: unknown): void {
    this.#errors.push(error);
    if (known === undefined) {
      this.#outputsUncertain = true;
      return;
    }
    mapper.keep(known);
    const id = known.desired?.metadata.id;
    const at = id === undefined ? -1 : this.#listed.indexOf(id);
    if (at >= 0 && this.#listed.at(at).metadata.phase !== 'tearingDown') this.#listed.mark(at);
  }

  /** Plans the output of a running input (or a tearing-down one taken as running). */
  #planOutput(i: AnyResource, held: boolean, entry: MemoEntry, before: string | undefined): void {
    const desired = entry.desired;
    if (desired === null) {
      if (held) this.#releases.push([i, before]);
      return;
    }
    const at = this.#listed.indexOf(desired.metadata.id);
    const existing = at >= 0 ? this.#listed.at(at) : undefined;
    // An output still tearing down is an old generation: it goes first, and comes back next run.
    if (existing?.metadata.phase === 'tearingDown') return;
    const hold = this.#t.inputFinalizers && !held;
    if (existing === undefined) {
      this.#creates.push({ input: i, hold, existing, entry });
      return;
    }
    this.#listed.mark(at);
    if (!hold) {
      if (existing === entry.synced) return;
      // Checked here, synchronously: most inputs of a run changed nothing their output shows.
      if (sameContent(existing, desired)) {
        markSynced(entry, existing);
        return;
      }
    }
    this.#writes.push({ input: i, hold, existing, entry });
  }

  /**
   * A tearing-down input holding the finalizer is released once the output it maps to is gone.
   * When `map` throws for it, the output it last mapped to still goes first; if this runtime never
   * mapped it, the hold stays until every output no running input wants is gone (its output is
   * one of them). Either way the error fails the run: logged, counted, shown as `lastError`.
   */
  #planRelease(mapper: RunMapper, i: AnyResource, known: MemoEntry | undefined): Promise<void> | undefined {
    const failed = (error: unknown) => {
      this.#errors.push(error);
      if (known !== undefined) mapper.keep(known);
      this.#releases.push([i, known === undefined ? null : known.desired?.metadata.id]);
    };
    let entry: MemoEntry | Promise<MemoEntry>;
    try {
      entry = mapper.desired(i, known);
    } catch (error) {
      failed(error);
      return undefined;
    }
    if (entry instanceof Promise) {
      return entry.then((e) => void this.#releases.push([i, e.desired?.metadata.id]), failed);
    }
    this.#releases.push([i, entry.desired?.metadata.id]);
    return undefined;
  }

  /** Step 2: new outputs in batched transactions (with their inputs' holds), then the changed ones. */
  async commit(): Promise<void> {
    const creates = this.#creates;
    for (let k = 0; k < creates.length; ) {
      const batch = creates.slice(k, k + this.#own.batchLimit);
      k += batch.length;
      await this.#commitBatch(batch);
    }
    for (const w of this.#writes) {
      try {
        await this.#writeOne(w);
      } catch (error) {
        this.#errors.push(error);
      }
    }
  }

  /**
   * New outputs, each with its input's hold when it needs one, all in one transaction. When it fails
   * (an input changed meanwhile, an output appeared, the backend refuses its size), its items go
   * one by one, each with its own outcome.
   */
  async #commitBatch(batch: readonly OutputWrite[]): Promise<void> {
    let stored: AnyResource[] | undefined;
    try {
      stored = await this.#createAll(batch);
    } catch (error) {
      // A backend with a lower limit on transaction size (etcd's --max-txn-ops): smaller batches.
      if (isUnsupportedError(error)) this.#own.batchLimit = Math.max(1, this.#own.batchLimit >> 1);
    }
    if (stored !== undefined) {
      for (let k = 0; k < batch.length; k++) markSynced(batch[k]!.entry, stored[k]!);
      return;
    }
    for (const w of batch) {
      try {
        await this.#writeOne(w);
      } catch (error) {
        this.#errors.push(error);
      }
    }
  }

  /**
   * Creates the outputs, holding their inputs where asked, in one transaction. Resolves the stored
   * outputs in order, or `undefined` when an input changed meanwhile or an output exists.
   */
  async #createAll(items: readonly OutputWrite[]): Promise<AnyResource[] | undefined> {
    const ops: ContextOp[] = [];
    const at: number[] = [];
    for (const { input, hold, entry } of items) {
      if (hold) ops.push({ op: 'addFinalizer', resource: input, finalizers: [this.#t.name] });
      at.push(ops.length);
      ops.push({ op: 'create', resource: withoutFinalizers(entry.desired!) });
    }
    let results: readonly (AnyResource | null)[];
    try {
      results = await this.#ctx.transaction(ops);
    } catch (error) {
      if (isConflictError(error) || isNotFoundError(error)) return undefined;
      throw error;
    }
    return at.map((k) => results[k]!);
  }

  /** One output on its own: hold the input if asked, then create or update the output. */
  async #writeOne(w: OutputWrite): Promise<void> {
    const desired = w.entry.desired!;
    if (w.hold && w.existing === undefined) {
      const created = await this.#createAll([w]);
      if (created !== undefined) {
        markSynced(w.entry, created[0]!);
        return;
      }
    }
    if (w.hold) await this.#ctx.addFinalizer(w.input.metadata, this.#t.name);
    markSynced(w.entry, await writeOutput(this.#ctx, w.existing, desired));
  }

  /** Step 3: tear down and destroy the owned outputs no running input wants (see `#mapFailed`). */
  async cleanUp(): Promise<void> {
    const outputs = this.#outputs;
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k]!;
      if (o.metadata.owner !== this.#t.name || this.#listed.marked(k)) continue;
      const id = o.metadata.id;
      this.#remaining.add(id);
      if (this.#outputsUncertain) continue;
      try {
        if (await this.#ctx.teardownAndDestroy(pointerOf(o))) this.#remaining.delete(id);
      } catch (error) {
        this.#errors.push(error);
      }
    }
  }

  /** Step 4: release the held inputs whose output is gone (and not wanted again by a running input). */
  async release(): Promise<void> {
    if (this.#releases.length === 0) return;
    const wantedNew = new Set(this.#creates.map((w) => w.entry.desired!.metadata.id));
    const gone = (id: string | null | undefined): boolean => {
      if (id === undefined) return true;
      if (id === null) return this.#remaining.size === 0;
      if (this.#remaining.has(id) || wantedNew.has(id)) return false;
      const k = this.#listed.indexOf(id);
      return k < 0 || !this.#listed.marked(k);
    };
    for (const [i, outId] of this.#releases) {
      if (!gone(outId)) continue;
      try {
        await this.#ctx.removeFinalizer(i.metadata, this.#t.name);
      } catch (error) {
        this.#errors.push(error);
      }
    }
  }
}
