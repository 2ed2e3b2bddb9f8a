import { isConflictError, isNotFoundError, isUnsupportedError } from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { pointerOf } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import { type ControllerDefinition, defineController } from './define-controller.js';
import {
  type DefinitionRef,
  resolveRef,
  sameContent,
  throwCollected,
  withoutFinalizers,
  writeOutput,
} from './generic-support.js';
import { type ControllerInput, input, type OutputKind, output } from './inputs.js';
import { OrderedMemo } from './ordered-memo.js';
import type { ReadContext } from './read-context.js';
import type { ContextOp, ReconcileContext } from './reconcile-context.js';
import { SortedLookup } from './sorted-lookup.js';

/** What a transform remembers of one input between runs. */
interface Memo {
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
  /** The last run in which the input, running, wanted an output that was not listed (a new one). */
  wantedNew: number;
}

/** One input to hold with the transform's finalizer and the output to create for it. */
interface HoldAndCreate {
  readonly held: AnyResource;
  readonly output: AnyResource;
}

/**
 * Puts the finalizer on each input and creates its output, all in one transaction: a new input's
 * first write, one commit instead of a read and two writes per input. Resolves the stored outputs in
 * order, or `undefined` when any input changed meanwhile or any output exists; the caller then goes
 * one by one, which tells them apart.
 */
async function holdAndCreate(
  ctx: ReconcileContext,
  finalizer: string,
  items: readonly HoldAndCreate[],
): Promise<AnyResource[] | undefined> {
  const ops: ContextOp[] = [];
  for (const { held, output } of items) {
    ops.push(
      { op: 'addFinalizer', resource: held, finalizers: [finalizer] },
      { op: 'create', resource: output },
    );
  }
  let results: readonly (AnyResource | null)[];
  try {
    results = await ctx.transaction(ops);
  } catch (error) {
    if (isConflictError(error) || isNotFoundError(error)) return undefined;
    throw error;
  }
  const outputs: AnyResource[] = [];
  for (let k = 1; k < results.length; k += 2) outputs.push(results[k]!);
  return outputs;
}

/** Records that `output` holds what the memo entry asks for. */
function markSynced(entry: Memo, output: AnyResource): void {
  entry.synced = output;
  entry.desired = output;
}

/**
 * True when `map` would see the same data: the same stored spec, labels and annotations objects
 * (the store keeps them by reference while unchanged). Version, timestamps and finalizers are
 * bookkeeping: the transform's own finalizer write must not make every input map again.
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

/** What one runtime's instance of a transform keeps between runs. */
interface TransformState {
  /** Per input id, in id order (see OrderedMemo). */
  readonly memo: OrderedMemo<Memo>;
  runs: number;
  /** New inputs per transaction: 16 (32 ops) fits etcd's default --max-txn-ops with its event records. */
  batchLimit: number;
}

function newTransformState(): TransformState {
  return { memo: new OrderedMemo<Memo>(), runs: 0, batchLimit: 16 };
}

/** What `transformController` takes. */
export interface TransformControllerOptions<
  TIn extends AnyResourceDefinition,
  TOut extends AnyResourceDefinition,
> {
  /** The controller's name, also the finalizer it puts on inputs. */
  name: string;
  /** The input type (optionally in another namespace than its default). */
  input: DefinitionRef<TIn>;
  /** The output type (optionally in another namespace than its default). */
  output: DefinitionRef<TOut>;
  /**
   * The desired output of one input, made with `Out.make(id, spec, { namespace })`, or `null` for
   * none. The output's id is yours to map; keep it a function of the input's identity and data (not
   * of its phase), because it is also used to find the output when the input tears down. Without
   * `extraInputs`, `map` is taken as a pure function of the input's id, labels, annotations and spec:
   * its result is reused while those are unchanged (a new version that only adds or removes
   * finalizers does not call `map` again).
   */
  map(input: Resource<TIn>, ctx: ReadContext): Resource<TOut> | null | Promise<Resource<TOut> | null>;
  /** `exclusive` (default) or `shared`. */
  outputKind?: OutputKind;
  /** More inputs `map` may read (weak or strong); their changes also trigger a run. */
  extraInputs?: readonly ControllerInput[];
}

/**
 * A generic 1:1 controller (COSI's `transform.Controller`): every input maps to at most one output.
 * The input carries the controller's finalizer while its output exists; an input tearing down has
 * its output torn down and destroyed first, then the finalizer is released; outputs whose input is
 * gone (or maps to nothing) are cleaned up, waiting for other controllers' finalizers on them.
 *
 * New inputs are held and their outputs created in transactions of up to 16 inputs (one by one
 * when a batch fails; smaller batches on a backend that refuses the size), and the controller's own
 * holds on its inputs do not wake it again.
 *
 * @example
 * ```ts
 * const IntToStr = transformController({
 *   name: 'IntToStrController',
 *   input: Ints,
 *   output: Strs,
 *   map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
 * });
 * runtime.register(IntToStr);
 * ```
 */
export function transformController<TIn extends AnyResourceDefinition, TOut extends AnyResourceDefinition>(
  options: TransformControllerOptions<TIn, TOut>,
): ControllerDefinition {
  const { name, map } = options;
  if (typeof name !== 'string' || name === '')
    throw new TypeError('transformController: name must be a non-empty string');
  if (typeof map !== 'function') throw new TypeError(`transformController ${name}: map must be a function`);
  const from = resolveRef(options.input, `transformController ${name}: input`);
  const to = resolveRef(options.output, `transformController ${name}: output`);
  const inKind = from.definition.kind(from.namespace);
  const outKind = to.definition.kind(to.namespace);
  const sameKind = inKind.type === outKind.type && inKind.namespace === outKind.namespace;
  // Without extra inputs, map is a pure function of the input value, so its result is remembered
  // per input id together with the input it came from and the output last seen holding it, in
  // each runtime's own state (ctx.local). The memo is kept in id order and met in id order (see OrderedMemo): a map of every input, rebuilt
  // or even just read per run, cost more than the rest of a quiet run.
  const pure = !options.extraInputs?.length;
  const check = (desired: AnyResource | null | undefined): AnyResource | null => {
    const out = desired ?? null;
    if (out !== null) {
      const m = out.metadata;
      if (m?.type !== outKind.type || m.namespace !== outKind.namespace) {
        throw new TypeError(
          `transformController ${name}: map must return a ${outKind.type} in namespace ${outKind.namespace}, got ${String(m?.type)} in ${String(m?.namespace)}`,
        );
      }
    }
    return out;
  };

  return defineController({
    name,
    inputs: [
      input.strong(from.definition, { namespace: from.namespace }),
      ...(sameKind ? [] : [input.destroyReady(to.definition, { namespace: to.namespace })]),
      ...(options.extraInputs ?? []),
    ],
    outputs: [
      options.outputKind === 'shared' ? output.shared(to.definition) : output.exclusive(to.definition),
    ],
    async reconcile(ctx) {
      // Per runtime: a definition shared by two runtimes (or a restart) never shares what it remembers.
      const own = ctx.local(newTransformState);
      const { memo } = own;
      const errors: unknown[] = [];
      const inputs = await ctx.list(inKind);
      const outputs = await ctx.list(outKind);
      // Outputs wanted by running inputs this run: marked where listed, else (about to be created) named.
      const listed = new SortedLookup(outputs);
      let wantedNew: Set<string> | undefined;
      const isWanted = (id: string) => {
        const k = listed.indexOf(id);
        if (k >= 0) return listed.marked(k);
        // Only a tearing-down input asks, after the loop: collect the new outputs' ids once, then.
        if (wantedNew === undefined) {
          wantedNew = new Set();
          for (const e of runMemo.kept()) if (e.wantedNew === run) wantedNew.add(e.desired!.metadata.id);
        }
        return wantedNew.has(id);
      };
      /** Inputs holding our finalizer that may release it once their output is gone. */
      const releasing: [AnyResource, string | null | undefined][] = [];
      const run = ++own.runs;
      const runMemo = memo.beginRun();

      const remember = (i: AnyResource, known: Memo | undefined, d: AnyResource | null | undefined): Memo => {
        const desired = check(d);
        if (known === undefined) {
          const entry: Memo = { id: i.metadata.id, input: i, desired, synced: undefined, wantedNew: 0 };
          runMemo.keep(entry);
          return entry;
        }
        known.input = i;
        known.desired = desired;
        known.synced = undefined;
        runMemo.keep(known);
        return known;
      };
      /** The memo entry of an input with its desired output: sync when remembered or when map is sync. */
      const desiredOf = (i: AnyResource, known = runMemo.find(i.metadata.id)): Memo | Promise<Memo> => {
        if (pure && known !== undefined && sameMapInput(known.input, i)) {
          known.input = i;
          runMemo.keep(known);
          return known;
        }
        const pending = map(i as Resource<TIn>, ctx) as AnyResource | null | Promise<AnyResource | null>;
        return pending instanceof Promise
          ? pending.then((d) => remember(i, known, d))
          : remember(i, known, pending);
      };
      const write = async (i: AnyResource, held: boolean, existing: AnyResource | undefined, entry: Memo) => {
        const desired = entry.desired!;
        if (!held && existing === undefined) {
          const created = await holdAndCreate(ctx, name, [{ held: i, output: withoutFinalizers(desired) }]);
          if (created !== undefined) {
            markSynced(entry, created[0]!);
            return;
          }
        }
        if (!held) await ctx.addFinalizer(i.metadata, name);
        markSynced(entry, await writeOutput(ctx, existing, desired));
      };
      const apply = (i: AnyResource, held: boolean, entry: Memo): Promise<unknown> | undefined => {
        const desired = entry.desired;
        if (desired === null) {
          if (held) releasing.push([i, undefined]);
          return undefined;
        }
        const id = desired.metadata.id;
        const at = listed.indexOf(id);
        const existing = at >= 0 ? listed.at(at) : undefined;
        // An output still tearing down is an old generation: it goes first, and comes back next run.
        if (existing?.metadata.phase === 'tearingDown') return undefined;
        if (at >= 0) listed.mark(at);
        else entry.wantedNew = run;
        if (held && existing !== undefined) {
          if (existing === entry.synced) return undefined;
          // Checked here, synchronously: most inputs of a run changed nothing their output shows.
          if (sameContent(existing, desired)) {
            markSynced(entry, existing);
            return undefined;
          }
        }
        if (!held && existing === undefined) {
          fresh.push({ held: i, output: withoutFinalizers(desired), entry });
          return fresh.length >= own.batchLimit ? commitFresh() : undefined;
        }
        return write(i, held, existing, entry);
      };
      /**
       * New inputs without an output yet, held and created in one transaction per batch. When a
       * batch fails (one input changed meanwhile, an output appeared, the backend refuses its size),
       * its inputs go one by one, each with its own outcome.
       */
      const fresh: (HoldAndCreate & { entry: Memo })[] = [];
      const commitFresh = async (): Promise<void> => {
        const items = fresh.splice(0);
        let stored: AnyResource[] | undefined;
        try {
          stored = await holdAndCreate(ctx, name, items);
        } catch (error) {
          // A backend with a lower limit on transaction size (etcd's --max-txn-ops): smaller batches.
          if (isUnsupportedError(error)) own.batchLimit = Math.max(1, own.batchLimit >> 1);
        }
        if (stored !== undefined) {
          for (let k = 0; k < items.length; k++) markSynced(items[k]!.entry, stored[k]!);
          return;
        }
        for (const item of items) {
          try {
            await write(item.held, false, undefined, item.entry);
          } catch (error) {
            errors.push(error);
          }
        }
      };
      /**
       * A tearing-down input keeps our finalizer until the output it maps to is gone. When `map`
       * throws for it, the output it last mapped to still goes first; if this runtime never mapped
       * it, the hold stays until every output no running input wants is gone (its output is one of
       * them). Either way the error fails the run: logged, counted, shown as `lastError`.
       */
      const release = (i: AnyResource) => {
        const known = runMemo.find(i.metadata.id);
        const failed = (error: unknown) => {
          errors.push(error);
          if (known !== undefined) runMemo.keep(known);
          releasing.push([i, known === undefined ? null : known.desired?.metadata.id]);
        };
        let entry: Memo | Promise<Memo>;
        try {
          entry = desiredOf(i, known);
        } catch (error) {
          failed(error);
          return undefined;
        }
        if (entry instanceof Promise) {
          return entry.then((e) => releasing.push([i, e.desired?.metadata.id]), failed);
        }
        releasing.push([i, entry.desired?.metadata.id]);
        return undefined;
      };
      /** One input; returns a promise only when there is something to wait for. */
      const step = (i: AnyResource): Promise<unknown> | undefined => {
        const held = i.metadata.finalizers.includes(name);
        if (i.metadata.phase === 'tearingDown') return held ? release(i) : undefined;
        const entry = desiredOf(i);
        return entry instanceof Promise ? entry.then((e) => apply(i, held, e)) : apply(i, held, entry);
      };

      for (const i of inputs) {
        try {
          const pending = step(i);
          if (pending !== undefined) await pending;
        } catch (error) {
          errors.push(error);
        }
      }
      if (fresh.length > 0) await commitFresh();
      // Inputs this run did not meet (gone) are forgotten.
      runMemo.commit();

      /** Owned outputs that are not wanted but still exist (held by finalizers, or failed). */
      const remaining = new Set<string>();
      for (let k = 0; k < outputs.length; k++) {
        const o = outputs[k]!;
        const id = o.metadata.id;
        if (o.metadata.owner !== name || listed.marked(k)) continue;
        remaining.add(id);
        try {
          if (await ctx.teardownAndDestroy(pointerOf(o))) remaining.delete(id);
        } catch (error) {
          errors.push(error);
        }
      }
      for (const [i, outId] of releasing) {
        if (
          outId === null
            ? remaining.size > 0
            : outId !== undefined && (remaining.has(outId) || isWanted(outId))
        )
          continue;
        try {
          await ctx.removeFinalizer(i.metadata, name);
        } catch (error) {
          errors.push(error);
        }
      }
      throwCollected(errors, name);
    },
  });
}
