import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { Metadata } from '../resource/metadata.js';
import type { AnyResource, SpecOf } from '../resource/resource.js';
import type { RunMemo } from './ordered-memo.js';
import type { ReadContext } from './read-context.js';
import type { RecordedRead, RunReads } from './transform-reads.js';

/**
 * What a transform's `map` sees of an input: its identity, owner, phase, labels, annotations,
 * generation (`created`) and spec. Not its version, finalizers or `updated`: those change without
 * the data changing (the transform's own finalizer is one), and a result is remembered while the
 * fields given here are unchanged, so `map` cannot depend on the others.
 */
export interface TransformInput<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly metadata: Pick<
    Metadata<TDef['type']>,
    'namespace' | 'type' | 'id' | 'owner' | 'phase' | 'labels' | 'annotations' | 'created'
  >;
  readonly spec: Readonly<SpecOf<TDef>>;
}

/** A transform's `map`, erased. @internal */
export type AnyMap = (
  input: TransformInput,
  ctx: ReadContext,
) => AnyResource | null | undefined | Promise<AnyResource | null | undefined>;

/** What a transform remembers of one input between runs. @internal */
export interface MemoEntry {
  /** The input's id. */
  readonly id: string;
  /** The input `desired` was computed for, or a later version of it with the same data. */
  input: AnyResource;
  /**
   * What `map` returned; once an output holding it is seen, that stored output stands in for it
   * (same spec, labels and annotations), so the memo does not keep a second copy of every output.
   */
  desired: AnyResource | null;
  /** The output object last seen (or written) holding `desired`. */
  synced: AnyResource | undefined;
  /** What `map` read through its context to compute `desired` (none for most maps). */
  reads: readonly RecordedRead[] | undefined;
}

/**
 * True when `map` would be given the same input: the same stored spec, labels and annotations
 * objects (the store keeps them by reference while unchanged), phase, owner and generation.
 */
function sameMapInput(before: AnyResource, after: AnyResource): boolean {
  if (before === after) return true;
  const b = before.metadata;
  const a = after.metadata;
  return (
    before.spec === after.spec &&
    b.labels === a.labels &&
    b.annotations === a.annotations &&
    b.phase === a.phase &&
    b.created === a.created &&
    b.owner === a.owner
  );
}

/** The input as `map` sees it (a new frozen object: nothing else of the stored input reaches `map`). */
function viewOf(i: AnyResource): TransformInput {
  const m = i.metadata;
  return Object.freeze({
    metadata: Object.freeze({
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      owner: m.owner,
      phase: m.phase,
      labels: m.labels,
      annotations: m.annotations,
      created: m.created,
    }),
    spec: i.spec,
  });
}

/** Records that `output` holds what the memo entry asks for. @internal */
export function markSynced(entry: MemoEntry, output: AnyResource): void {
  entry.synced = output;
  entry.desired = output;
}

/**
 * Gives each input of a run its desired output: the remembered one while `map` would be given the
 * same input and every read it made still sees the same, else what `map` returns now. Every entry
 * asked for is kept for the next run; the others are forgotten when the run commits. @internal
 */
export class RunMapper {
  readonly #map: AnyMap;
  readonly #check: (desired: AnyResource | null | undefined) => AnyResource | null;
  readonly #memo: RunMemo<MemoEntry>;
  readonly #reads: RunReads;

  constructor(
    map: AnyMap,
    check: (desired: AnyResource | null | undefined) => AnyResource | null,
    memo: RunMemo<MemoEntry>,
    reads: RunReads,
  ) {
    this.#map = map;
    this.#check = check;
    this.#memo = memo;
    this.#reads = reads;
  }

  /** The last run's entry of an input (ask once per input, in list order). */
  known(i: AnyResource): MemoEntry | undefined {
    return this.#memo.find(i.metadata.id);
  }

  /** Keeps an entry as it is (the input's `map` failed: what it last mapped to still stands). */
  keep(entry: MemoEntry): void {
    this.#memo.keep(entry);
  }

  /** The entry of `i` with its desired output; synchronous when remembered, or when `map` is. */
  desired(i: AnyResource, known: MemoEntry | undefined): MemoEntry | Promise<MemoEntry> {
    if (known !== undefined && sameMapInput(known.input, i)) {
      const still = known.reads === undefined ? true : this.#reads.stillSeen(known.reads);
      if (still === true) return this.#reuse(known, i);
      if (still !== false) return still.then((ok) => (ok ? this.#reuse(known, i) : this.#call(i, known)));
    }
    return this.#call(i, known);
  }

  #reuse(known: MemoEntry, i: AnyResource): MemoEntry {
    known.input = i;
    this.#memo.keep(known);
    return known;
  }

  #call(i: AnyResource, known: MemoEntry | undefined): MemoEntry | Promise<MemoEntry> {
    const reads: RecordedRead[] = [];
    const pending = this.#map(viewOf(i), this.#reads.contextFor(reads));
    return pending instanceof Promise
      ? pending.then((d) => this.#remember(i, known, d, reads))
      : this.#remember(i, known, pending, reads);
  }

  #remember(
    i: AnyResource,
    known: MemoEntry | undefined,
    d: AnyResource | null | undefined,
    reads: readonly RecordedRead[],
  ): MemoEntry {
    const desired = this.#check(d);
    const recorded = reads.length > 0 ? reads : undefined;
    if (known === undefined) {
      const entry: MemoEntry = { id: i.metadata.id, input: i, desired, synced: undefined, reads: recorded };
      this.#memo.keep(entry);
      return entry;
    }
    known.input = i;
    known.desired = desired;
    known.synced = undefined;
    known.reads = recorded;
    this.#memo.keep(known);
    return known;
  }
}
