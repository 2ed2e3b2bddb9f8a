import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import { type ControllerDefinition, defineController } from './define-controller.js';
import { type DefinitionRef, resolveRef } from './generic-support.js';
import { type ControllerInput, input, type OutputKind, output } from './inputs.js';
import type { ReadContext } from './read-context.js';
import type { AnyMap, TransformInput } from './transform-memo.js';
import { TransformRun, type TransformSettings } from './transform-run.js';

export type { TransformInput } from './transform-memo.js';

/** What `transformController` takes. */
export interface TransformControllerOptions<
  TIn extends AnyResourceDefinition,
  TOut extends AnyResourceDefinition,
> {
  /** The controller's name: the owner of its outputs, and the finalizer it puts on inputs. */
  name: string;
  /** The input type (optionally in another namespace than its default). */
  input: DefinitionRef<TIn>;
  /** The output type (optionally in another namespace than its default). */
  output: DefinitionRef<TOut>;
  /**
   * The desired output of one input, made with `Out.make(id, spec, { namespace })`, or `null` for
   * none. The output's id is yours to map; keep it a function of the input's identity and data (not
   * of its phase), because it is also used to find the output when the input tears down.
   *
   * @remarks `map` must be a pure function of what it is given, and its result is remembered per
   * input: it is called again only when the input it is given changes (see {@link TransformInput}:
   * not its version or finalizers, so the transform's own finalizer on an input calls nothing
   * again) or when a read it made through `ctx` would see something else (another version, a new
   * or a gone resource). That is why `map` is given a view of the input and not the stored resource,
   * and reads through `ctx` only: the memo then keys on everything `map` can see, so a remembered
   * result is the result `map` would return, by construction. Reads through `ctx` are made once
   * per run and shared by every map call of that run; read only declared inputs (and
   * `extraInputs`), whose changes wake the transform.
   */
  map(input: TransformInput<TIn>, ctx: ReadContext): Resource<TOut> | null | Promise<Resource<TOut> | null>;
  /** `exclusive` (default) or `shared`. */
  outputKind?: OutputKind;
  /** More inputs `map` may read through its context (weak or strong); their changes also trigger a run. */
  extraInputs?: readonly ControllerInput[];
  /**
   * COSI's `WithInputFinalizers` (default `false`). With it, the input is a strong input and carries
   * the controller's finalizer while its output exists: an input tearing down has its output torn
   * down and destroyed first (waiting for other controllers' finalizers on it), then the finalizer
   * is released. Without it, inputs are weak and never held: a tearing-down or gone input's output
   * is torn down and destroyed, and nothing keeps the input waiting for that.
   */
  inputFinalizers?: boolean;
  /**
   * COSI's `WithIgnoreTearingDownInputs` (default `false`): a tearing-down input is treated as if it
   * were running (mapped, its output kept and updated) until it is destroyed; then its output is
   * cleaned up. Not with `inputFinalizers` (an input held until its output is gone, whose output is
   * kept until it is gone, would never go).
   */
  ignoreTearingDownInputs?: boolean;
}

function optionalFlag(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${typeof value}`);
  return value;
}

/** Checks the options and resolves what a run needs. */
function settingsOf(options: TransformControllerOptions<AnyResourceDefinition, AnyResourceDefinition>) {
  const { name, map } = options;
  if (typeof name !== 'string' || name === '')
    throw new TypeError('transformController: name must be a non-empty string');
  const what = `transformController ${name}`;
  if (typeof map !== 'function') throw new TypeError(`${what}: map must be a function`);
  const from = resolveRef(options.input, `${what}: input`);
  const to = resolveRef(options.output, `${what}: output`);
  const inputFinalizers = optionalFlag(options.inputFinalizers, `${what}: inputFinalizers`);
  const ignoreTearingDownInputs = optionalFlag(
    options.ignoreTearingDownInputs,
    `${what}: ignoreTearingDownInputs`,
  );
  if (inputFinalizers && ignoreTearingDownInputs) {
    throw new TypeError(`${what}: inputFinalizers and ignoreTearingDownInputs are mutually exclusive`);
  }
  const outKind = to.definition.kind(to.namespace);
  const check = (desired: AnyResource | null | undefined): AnyResource | null => {
    const out = desired ?? null;
    const m = out?.metadata;
    if (out !== null && (m?.type !== outKind.type || m.namespace !== outKind.namespace)) {
      throw new TypeError(
        `${what}: map must return a ${outKind.type} in namespace ${outKind.namespace}, got ${String(m?.type)} in ${String(m?.namespace)}`,
      );
    }
    return out;
  };
  const settings: TransformSettings = {
    name,
    map: map as AnyMap,
    check,
    inKind: from.definition.kind(from.namespace),
    outKind,
    inputFinalizers,
    ignoreTearingDownInputs,
  };
  return { settings, from, to };
}

/**
 * A generic 1:1 controller (COSI's `transform.Controller`): every input maps to at most one output,
 * written when it differs; outputs whose input is gone, tearing down or maps to nothing are torn
 * down and destroyed, waiting for other controllers' finalizers on them. `inputFinalizers` and
 * `ignoreTearingDownInputs` are COSI's options of the same names.
 *
 * New outputs are created in transactions of up to 16 inputs (one by one when a batch fails;
 * smaller batches on a backend that refuses the size), with their inputs' holds when
 * `inputFinalizers` is on; those holds do not wake the controller again. What a runtime's instance
 * remembers (each input's result, the batch size) belongs to that runtime, made at its first run.
 *
 * @example
 * ```ts
 * const IntToStr = transformController({
 *   name: 'IntToStrController',
 *   input: Ints,
 *   output: Strs,
 *   map: (i) => Strs.make(i.metadata.id, { value: String(i.spec.value) }),
 *   inputFinalizers: true,
 * });
 * runtime.register(IntToStr);
 * ```
 */
export function transformController<TIn extends AnyResourceDefinition, TOut extends AnyResourceDefinition>(
  options: TransformControllerOptions<TIn, TOut>,
): ControllerDefinition {
  const { settings, from, to } = settingsOf(options as never);
  const { inKind, outKind } = settings;
  const sameKind = inKind.type === outKind.type && inKind.namespace === outKind.namespace;
  const inputOptions = { namespace: from.namespace };
  return defineController({
    name: settings.name,
    inputs: [
      settings.inputFinalizers
        ? input.strong(from.definition, inputOptions)
        : input.weak(from.definition, inputOptions),
      // Wakes the clean-up when an output other controllers held can go.
      ...(sameKind ? [] : [input.destroyReady(to.definition, { namespace: to.namespace })]),
      ...(options.extraInputs ?? []),
    ],
    outputs: [
      options.outputKind === 'shared' ? output.shared(to.definition) : output.exclusive(to.definition),
    ],
    reconcile: (ctx) => new TransformRun(ctx, settings).run(),
  });
}
