import { isConflictError } from '../errors.js';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import { emptyFinalizers } from '../resource/empty.js';
import { deepEqual } from '../resource/equality.js';
import { metadataWith } from '../resource/metadata.js';
import type { AnyResource } from '../resource/resource.js';
import type { ReconcileContext } from './reconcile-context.js';

/** A definition, or a definition with the namespace to use instead of its default. */
export type DefinitionRef<TDef extends AnyResourceDefinition> =
  | TDef
  | { definition: TDef; namespace?: string };

/** Resolves a {@link DefinitionRef} to its definition and namespace. @internal */
export function resolveRef<TDef extends AnyResourceDefinition>(
  ref: DefinitionRef<TDef>,
  what: string,
): { definition: TDef; namespace: string } {
  const r = ref as { definition?: TDef; namespace?: string; make?: unknown };
  if (typeof r === 'object' && r !== null && typeof r.make === 'function') {
    const definition = ref as TDef;
    return { definition, namespace: definition.defaultNamespace };
  }
  if (typeof r === 'object' && r !== null && typeof r.definition?.make === 'function') {
    return { definition: r.definition, namespace: r.namespace ?? r.definition.defaultNamespace };
  }
  throw new TypeError(`${what} must be a resource definition or { definition, namespace }`);
}

/** The resource as a new output: finalizers belong to the output's consumers, not its writer. @internal */
export function withoutFinalizers<TRes extends AnyResource>(desired: TRes): TRes {
  const d = desired.metadata;
  return d.finalizers.length === 0
    ? desired
    : ({ metadata: metadataWith(d, { finalizers: emptyFinalizers }), spec: desired.spec } as TRes);
}

/** True when an output already holds what `desired` asks for: spec, labels and annotations. @internal */
export function sameContent(current: AnyResource, desired: AnyResource): boolean {
  const c = current.metadata;
  const d = desired.metadata;
  return (
    deepEqual(current.spec, desired.spec) &&
    deepEqual(c.labels, d.labels) &&
    deepEqual(c.annotations, d.annotations)
  );
}

/**
 * Writes the desired output over the current one, or creates it: spec, labels and annotations come
 * from `desired`; the owner is the controller; other controllers' finalizers are kept. Nothing is
 * written when nothing differs. A stale `current` (someone added a finalizer meanwhile) falls back to
 * a fresh read-modify-write. Resolves with the stored output. @internal
 */
export async function writeOutput(
  ctx: ReconcileContext,
  current: AnyResource | undefined,
  desired: AnyResource,
): Promise<AnyResource> {
  const d = desired.metadata;
  if (current === undefined) {
    try {
      return await ctx.create(withoutFinalizers(desired));
    } catch (error) {
      if (!isConflictError(error)) throw error;
    }
  } else {
    const c = current.metadata;
    if (sameContent(current, desired)) return current;
    try {
      return await ctx.update({
        metadata: metadataWith(c, { labels: d.labels, annotations: d.annotations }),
        spec: desired.spec,
      });
    } catch (error) {
      if (!isConflictError(error) || error.code !== 'Conflict') throw error;
    }
  }
  return ctx.modify(desired, (draft) => {
    draft.spec = desired.spec as never;
    draft.metadata.labels = { ...d.labels };
    draft.metadata.annotations = { ...d.annotations };
  });
}

/** Runs `fn` for every item, collecting failures so one bad item does not stop the others. @internal */
export async function forEachCollecting<T>(
  items: Iterable<T>,
  fn: (item: T) => void | Promise<void>,
  errors: unknown[],
): Promise<void> {
  for (const item of items) {
    try {
      const r = fn(item);
      if (r !== undefined) await r;
    } catch (error) {
      errors.push(error);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Throws the collected failures: one as itself, several as an `AggregateError`. @internal */
export function throwCollected(errors: readonly unknown[], controller: string): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(
      errors,
      // The first cause in the message, so a one-line log says what went wrong, not only how often.
      `controller ${JSON.stringify(controller)}: ${errors.length} items failed; the first: ${messageOf(errors[0])}`,
    );
  }
}
