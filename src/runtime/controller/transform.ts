import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { pointerOf } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import { type ControllerDefinition, defineController } from './define-controller.js';
import {
  type DefinitionRef,
  forEachCollecting,
  resolveRef,
  throwCollected,
  writeOutput,
} from './generic-support.js';
import { type ControllerInput, input, type OutputKind, output } from './inputs.js';
import type { ReadContext } from './reconcile-context.js';

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
   * of its phase), because it is also used to find the output when the input tears down.
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
  const desiredOf = async (i: AnyResource, ctx: ReadContext): Promise<AnyResource | null> => {
    const pending = map(i as Resource<TIn>, ctx);
    const desired = (pending instanceof Promise ? await pending : pending) as AnyResource | null | undefined;
    if (desired == null) return null;
    const m = desired.metadata;
    if (m?.type !== outKind.type || m.namespace !== outKind.namespace) {
      throw new TypeError(
        `transformController ${name}: map must return a ${outKind.type} in namespace ${outKind.namespace}, got ${String(m?.type)} in ${String(m?.namespace)}`,
      );
    }
    return desired;
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
      const errors: unknown[] = [];
      const inputs = await ctx.list(inKind);
      const outputs = await ctx.list(outKind);
      const current = new Map<string, AnyResource>();
      for (const o of outputs) current.set(o.metadata.id, o);
      /** Output ids produced by running inputs this run. */
      const wanted = new Set<string>();
      /** Inputs holding our finalizer that may release it once their output is gone. */
      const releasing: [AnyResource, string | undefined][] = [];

      await forEachCollecting(
        inputs,
        async (i) => {
          const held = i.metadata.finalizers.includes(name);
          if (i.metadata.phase === 'tearingDown') {
            if (!held) return;
            let outId: string | undefined;
            try {
              outId = (await desiredOf(i, ctx))?.metadata.id;
            } catch {
              // An input map cannot place has no output we could wait for.
            }
            releasing.push([i, outId]);
            return;
          }
          const desired = await desiredOf(i, ctx);
          if (desired === null) {
            if (held) releasing.push([i, undefined]);
            return;
          }
          const id = desired.metadata.id;
          const existing = current.get(id);
          // An output still tearing down is an old generation: it goes first, and comes back next run.
          if (existing?.metadata.phase === 'tearingDown') return;
          wanted.add(id);
          if (!held) await ctx.addFinalizer(pointerOf(i), name);
          await writeOutput(ctx, existing, desired);
        },
        errors,
      );

      /** Owned outputs that are not wanted but still exist (held by finalizers, or failed). */
      const remaining = new Set<string>();
      await forEachCollecting(
        outputs,
        async (o) => {
          const id = o.metadata.id;
          if (o.metadata.owner !== name || wanted.has(id)) return;
          remaining.add(id);
          if (await ctx.teardownAndDestroy(pointerOf(o))) remaining.delete(id);
        },
        errors,
      );

      await forEachCollecting(
        releasing,
        async ([i, outId]) => {
          if (outId !== undefined && (remaining.has(outId) || wanted.has(outId))) return;
          await ctx.removeFinalizer(pointerOf(i), name);
        },
        errors,
      );
      throwCollected(errors, name);
    },
  });
}
