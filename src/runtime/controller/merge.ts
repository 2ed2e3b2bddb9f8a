import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { pointerOf } from '../resource/pointer.js';
import type { AnyResource, Resource, SpecInputOf } from '../resource/resource.js';
import { type ControllerDefinition, defineController } from './define-controller.js';
import {
  type DefinitionRef,
  forEachCollecting,
  resolveRef,
  throwCollected,
  writeOutput,
} from './generic-support.js';
import { type ControllerInput, input, type OutputKind, output } from './inputs.js';
import type { ReadContext } from './read-context.js';

/** What `mergeController` takes. */
export interface MergeControllerOptions<
  TIn extends AnyResourceDefinition,
  TOut extends AnyResourceDefinition,
> {
  /** The controller's name (the owner of the merged outputs). */
  name: string;
  /** The per-layer type the producers write (optionally in another namespace than its default). */
  input: DefinitionRef<TIn>;
  /** The merged type (optionally in another namespace than its default). */
  output: DefinitionRef<TOut>;
  /** The id of the merged output a layer belongs to; `null` leaves the layer out. */
  key(layer: Resource<TIn>): string | null;
  /** The layer's priority, read from its data: higher wins. Ties are broken by id. */
  priority(layer: Resource<TIn>): number;
  /**
   * Merges the layers of one key, lowest priority first, into the output's spec, or `null` for no
   * output. Defaults to the spec of the highest-priority layer.
   */
  merge?(
    layers: readonly Resource<TIn>[],
    key: string,
    ctx: ReadContext,
  ): SpecInputOf<TOut> | null | Promise<SpecInputOf<TOut> | null>;
  /** Labels of the merged output (default: none). */
  labels?(layers: readonly Resource<TIn>[], key: string): Readonly<Record<string, string>>;
  /** `exclusive` (default) or `shared`. */
  outputKind?: OutputKind;
  /** More inputs `merge` may read; their changes also trigger a run. */
  extraInputs?: readonly ControllerInput[];
}

/**
 * A generic merge controller, as Talos merges per-layer network specs (defaults, cmdline, platform,
 * configuration) into one spec per link: every running layer is grouped by `key`, sorted by
 * `priority`, merged by `merge`, and written as one output per key. Outputs whose key has no layer
 * left are torn down and destroyed (waiting for other controllers' finalizers on them); layers
 * tearing down no longer count.
 *
 * @example
 * ```ts
 * const MergeLinks = mergeController({
 *   name: 'LinkMergeController',
 *   input: { definition: LinkSpecs, namespace: 'network-config' },
 *   output: LinkSpecs,
 *   key: (l) => l.spec.name,
 *   priority: (l) => l.spec.layer,
 *   merge: (layers) => Object.assign({}, ...layers.map((l) => l.spec)),
 * });
 * ```
 */
export function mergeController<TIn extends AnyResourceDefinition, TOut extends AnyResourceDefinition>(
  options: MergeControllerOptions<TIn, TOut>,
): ControllerDefinition {
  const { name, key, priority } = options;
  if (typeof name !== 'string' || name === '')
    throw new TypeError('mergeController: name must be a non-empty string');
  for (const [field, fn] of [
    ['key', key],
    ['priority', priority],
  ] as const) {
    if (typeof fn !== 'function') throw new TypeError(`mergeController ${name}: ${field} must be a function`);
  }
  const from = resolveRef(options.input, `mergeController ${name}: input`);
  const to = resolveRef(options.output, `mergeController ${name}: output`);
  const inKind = from.definition.kind(from.namespace);
  const outKind = to.definition.kind(to.namespace);
  const sameKind = inKind.type === outKind.type && inKind.namespace === outKind.namespace;
  if (sameKind) throw new TypeError(`mergeController ${name}: input and output must be different kinds`);
  const merge =
    options.merge ??
    ((layers: readonly Resource<TIn>[]) => layers[layers.length - 1]!.spec as SpecInputOf<TOut>);

  return defineController({
    name,
    inputs: [
      input.weak(from.definition, { namespace: from.namespace }),
      input.destroyReady(to.definition, { namespace: to.namespace }),
      ...(options.extraInputs ?? []),
    ],
    outputs: [
      options.outputKind === 'shared' ? output.shared(to.definition) : output.exclusive(to.definition),
    ],
    async reconcile(ctx) {
      const errors: unknown[] = [];
      const groups = new Map<string, { layer: Resource<TIn>; priority: number }[]>();
      for (const layer of (await ctx.list(inKind)) as readonly Resource<TIn>[]) {
        if (layer.metadata.phase === 'tearingDown') continue;
        try {
          const k = key(layer);
          if (k === null) continue;
          const group = groups.get(k) ?? [];
          group.push({ layer, priority: priority(layer) });
          groups.set(k, group);
        } catch (error) {
          errors.push(error);
        }
      }
      const outputs = await ctx.list(outKind);
      const current = new Map<string, AnyResource>();
      for (const o of outputs) current.set(o.metadata.id, o);
      const wanted = new Set<string>();

      await forEachCollecting(
        groups,
        async ([k, group]) => {
          // A key whose output failed to merge keeps its old output rather than losing it.
          wanted.add(k);
          group.sort((a, b) =>
            a.priority !== b.priority
              ? a.priority - b.priority
              : a.layer.metadata.id < b.layer.metadata.id
                ? -1
                : a.layer.metadata.id > b.layer.metadata.id
                  ? 1
                  : 0,
          );
          const layers = group.map((g) => g.layer);
          const pending = merge(layers, k, ctx);
          const spec = pending instanceof Promise ? await pending : pending;
          if (spec === null || spec === undefined) {
            wanted.delete(k);
            return;
          }
          const existing = current.get(k);
          if (existing?.metadata.phase === 'tearingDown') {
            wanted.delete(k);
            return;
          }
          const labels = options.labels?.(layers, k);
          const desired = to.definition.make(k, spec, {
            namespace: to.namespace,
            ...(labels !== undefined ? { labels } : {}),
          }) as AnyResource;
          await writeOutput(ctx, existing, desired);
        },
        errors,
      );

      await forEachCollecting(
        outputs,
        async (o) => {
          if (o.metadata.owner !== name || wanted.has(o.metadata.id)) return;
          await ctx.teardownAndDestroy(pointerOf(o));
        },
        errors,
      );
      throwCollected(errors, name);
    },
  });
}
