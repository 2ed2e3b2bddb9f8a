import type { ReconcileContext } from '../../runtime/controller/reconcile-context.js';
import { isNotFoundError } from '../../runtime/errors.js';
import { deepEqual } from '../../runtime/resource/equality.js';
import { pointerOf } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';

/** What a spec controller does with one spec: apply it to the platform, or undo it. */
export interface SpecActions<TRes extends AnyResource> {
  /** Makes the platform hold what the spec asks; called for running specs, already finalized. */
  apply(spec: TRes): Promise<void>;
  /** Removes from the platform what the spec made; called once for a tearing-down spec we hold. */
  undo(spec: TRes): Promise<void>;
}

/**
 * Adds the finalizer to a spec read by a list, then checks that the spec it now holds is still that
 * one: it may have been destroyed (and even created again with another spec) since the list, and
 * applying the stale spec would leave behind something no spec owns. False: skip it (the change
 * that raced wakes the controller again).
 */
async function hold(ctx: ReconcileContext, spec: AnyResource, finalizer: string): Promise<boolean> {
  const pointer = pointerOf(spec);
  try {
    await ctx.addFinalizer(pointer, finalizer);
    const held = await ctx.get(pointer);
    return held.metadata.phase === 'running' && deepEqual(held.spec, spec.spec);
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/**
 * The spec controllers' finalizer protocol (Talos §1.6): every running spec gets the controller's
 * finalizer before it is applied; a tearing-down spec is undone (in reverse order) and then
 * released. One failing spec does not stop the others: the errors are thrown together at the end,
 * so the runtime retries with backoff.
 */
export async function applySpecs<TRes extends AnyResource>(
  ctx: ReconcileContext,
  specs: readonly TRes[],
  actions: SpecActions<TRes>,
): Promise<void> {
  const finalizer = ctx.controller;
  const errors: unknown[] = [];
  const attempt = async (spec: TRes, step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (error) {
      ctx.log.warn({ err: error, resource: spec.metadata.id }, 'spec not applied');
      errors.push(error);
    }
  };
  const tearing = specs.filter((s) => s.metadata.phase === 'tearingDown').reverse();
  for (const spec of tearing) {
    if (!spec.metadata.finalizers.includes(finalizer)) continue;
    await attempt(spec, async () => {
      await actions.undo(spec);
      await ctx.removeFinalizer(pointerOf(spec), finalizer);
    });
  }
  for (const spec of specs) {
    if (spec.metadata.phase !== 'running') continue;
    await attempt(spec, async () => {
      if (!spec.metadata.finalizers.includes(finalizer) && !(await hold(ctx, spec, finalizer))) return;
      await actions.apply(spec);
    });
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `${ctx.controller}: ${errors.length} specs not applied`);
}
