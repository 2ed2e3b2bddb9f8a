import type { Logger } from 'pino';
import { isNotFoundError } from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import type { ListOptions } from '../state/state.js';
import type { ReadContext } from './read-context.js';

/** A read a transform's `map` made through its context, and what it saw. @internal */
export interface RecordedRead {
  /** The read, as a key: the same key is the same read. */
  readonly key: string;
  /** How to do the read again. */
  readonly target: ReadTarget;
  /** What it saw: the resource's generation and version, or each listed one's; `absent` when not found. */
  readonly seen: string;
}

/** A `get` or a `list` of a map's context. */
type ReadTarget =
  | { readonly op: 'get'; readonly pointer: Pointer }
  | { readonly op: 'list'; readonly kind: Kind; readonly options: ListOptions | undefined };

/** The result of one read in a run: what `map` is given (or thrown), and what it saw. */
interface ReadOutcome {
  readonly seen: string;
  readonly value?: unknown;
  /** A `NotFoundError`: thrown to every map that makes the read, as the state would. */
  readonly notFound?: unknown;
}

/** One stored value as a read sees it: its generation (`created`) and its version. */
function seenOf(r: AnyResource): string {
  return `${r.metadata.created}@${r.metadata.version}`;
}

function keyOf(target: ReadTarget): string {
  if (target.op === 'get') {
    const p = target.pointer;
    return `get\0${p.namespace}\0${p.type}\0${p.id}`;
  }
  const { kind, options } = target;
  const labels = options?.labelQuery === undefined ? '' : JSON.stringify(options.labelQuery);
  const ids = options?.idQuery === undefined ? '' : String(options.idQuery);
  return `list\0${kind.namespace}\0${kind.type}\0${labels}\0${ids}`;
}

/**
 * The reads `map` makes in one transform run, through the context each map call is given. Each
 * distinct read is made once per run and its result shared, so every map of a run sees one
 * snapshot; each call records what it read, so the next run can tell whether a remembered result
 * still holds ({@link RunReads.stillSeen}) without calling `map` again. @internal
 */
export class RunReads {
  readonly #ctx: ReadContext;
  readonly #done = new Map<string, ReadOutcome>();
  readonly #pending = new Map<string, Promise<ReadOutcome | undefined>>();

  constructor(ctx: ReadContext) {
    this.#ctx = ctx;
  }

  /** A context for one map call: reads go through the run's snapshot and are recorded in `into`. */
  contextFor(into: RecordedRead[]): ReadContext {
    return new RecordingContext(this, this.#ctx, into);
  }

  /**
   * True when every read still sees what it saw: `true` or `false` at once when the run made these
   * reads already, else a promise. A read that fails now (other than not found) counts as changed.
   */
  stillSeen(reads: readonly RecordedRead[]): boolean | Promise<boolean> {
    for (let k = 0; k < reads.length; k++) {
      const read = reads[k]!;
      const done = this.#done.get(read.key);
      if (done === undefined) return this.#stillSeenAsync(reads, k);
      if (done.seen !== read.seen) return false;
    }
    return true;
  }

  async #stillSeenAsync(reads: readonly RecordedRead[], from: number): Promise<boolean> {
    for (let k = from; k < reads.length; k++) {
      const read = reads[k]!;
      const outcome = await this.#outcome(read.key, read.target).catch(() => undefined);
      if (outcome === undefined || outcome.seen !== read.seen) return false;
    }
    return true;
  }

  /** Reads `target` once per run (later calls share the first). */
  async read(target: ReadTarget, into: RecordedRead[]): Promise<unknown> {
    const key = keyOf(target);
    const outcome = await this.#outcome(key, target);
    into.push({ key, target, seen: outcome.seen });
    if (outcome.notFound !== undefined) throw outcome.notFound;
    return outcome.value;
  }

  #outcome(key: string, target: ReadTarget): Promise<ReadOutcome> {
    const done = this.#done.get(key);
    if (done !== undefined) return Promise.resolve(done);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#fetch(target).then((outcome) => {
        this.#pending.delete(key);
        this.#done.set(key, outcome);
        return outcome;
      });
      // A failed read is not remembered: the next one tries again (and is access-checked again).
      pending.catch(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending as Promise<ReadOutcome>;
  }

  async #fetch(target: ReadTarget): Promise<ReadOutcome> {
    if (target.op === 'list') {
      const items = await this.#ctx.list(target.kind, target.options);
      let seen = '';
      for (const r of items) seen += `${r.metadata.id}\0${seenOf(r)}\n`;
      return { seen, value: items };
    }
    try {
      const r = await this.#ctx.get(target.pointer);
      return { seen: seenOf(r), value: r };
    } catch (error) {
      if (isNotFoundError(error)) return { seen: 'absent', notFound: error };
      throw error;
    }
  }
}

/** The context one map call reads through. */
class RecordingContext implements ReadContext {
  readonly #reads: RunReads;
  readonly #ctx: ReadContext;
  readonly #into: RecordedRead[];

  constructor(reads: RunReads, ctx: ReadContext, into: RecordedRead[]) {
    this.#reads = reads;
    this.#ctx = ctx;
    this.#into = into;
  }

  get controller(): string {
    return this.#ctx.controller;
  }

  get log(): Logger {
    return this.#ctx.log;
  }

  get signal(): AbortSignal {
    return this.#ctx.signal;
  }

  get<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
  ): Promise<Resource<TDef>> {
    const p: Pointer = { namespace: pointer.namespace, type: pointer.type, id: pointer.id };
    return this.#reads.read({ op: 'get', pointer: p }, this.#into) as Promise<Resource<TDef>>;
  }

  list<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: ListOptions,
  ): Promise<readonly Resource<TDef>[]> {
    const k: Kind = { namespace: kind.namespace, type: kind.type };
    return this.#reads.read({ op: 'list', kind: k, options }, this.#into) as Promise<
      readonly Resource<TDef>[]
    >;
  }
}
