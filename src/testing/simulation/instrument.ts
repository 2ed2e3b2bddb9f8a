import {
  type AnyControllerDefinition,
  type ControllerDefinition,
  type QControllerDefinition,
  requeueDelay,
} from '../../runtime/controller/define-controller.js';
import { formatPointer, type Pointer } from '../../runtime/resource/pointer.js';
import { declaredTypes, type InstrumentHooks, runAs, type ThrowPlan } from './controller-calls.js';
import { InjectedFault } from './faults.js';

/**
 * Wraps a controller definition for one runtime incarnation: its reconciles are reported to the
 * invariant monitor (concurrency per key, outcomes, storms), and each runs as the active run of its
 * store calls, where `faultyControllerCalls` injects the simulation's faults (a throw between calls,
 * a failing call, a crash right before or after one) and checks its writes. Here: a throw at the
 * start or at the end.
 */
export function instrumentController(
  definition: AnyControllerDefinition,
  incarnation: number,
  hooks: InstrumentHooks,
): AnyControllerDefinition {
  const name = definition.name;
  const declared = declaredTypes(definition);

  const planThrow = (key: string): ThrowPlan => {
    const what = key === name ? name : `${name} ${key}`;
    if (!hooks.choices.chance(hooks.faults().reconcileThrows, 'throw', what)) return undefined;
    // Half between two calls (the first to the fourth), a quarter each at the start and the end.
    const where = hooks.choices.int(4, 'throw where', what);
    if (where === 0) return { at: 'start' };
    if (where === 3) return { at: 'end' };
    return { at: 'call', n: 1 + hooks.choices.int(4, 'throw at call', what) };
  };

  const reconcileWith = async (
    ctx: object,
    key: string,
    call: (ctx: object) => unknown,
  ): Promise<unknown> => {
    const run = hooks.monitor.begin(name, key, incarnation);
    hooks.trace('reconcile', `${name} begins ${key === name ? '' : key}`.trimEnd());
    const plan = { current: planThrow(key) };
    try {
      if (plan.current?.at === 'start') {
        hooks.trace('fault', `${name} throws at the start of its reconcile`);
        throw new InjectedFault('reconcileThrows', `${name} failed at the start`);
      }
      const result = await runAs({ run, plan, controller: name, ...declared }, () => call(ctx));
      if (plan.current !== undefined) {
        hooks.trace('fault', `${name} throws at the end of its reconcile`);
        throw new InjectedFault('reconcileThrows', `${name} failed after its last call`);
      }
      const requeueAfter = requeueDelay(result);
      hooks.monitor.end(
        run,
        requeueAfter === undefined ? 'ok' : 'requeue',
        requeueAfter === undefined ? {} : { requeueAfter },
      );
      hooks.trace(
        'reconcile',
        `${name} ends ${requeueAfter === undefined ? 'ok' : `requeue ${requeueAfter}ms`}`,
      );
      return result;
    } catch (error) {
      hooks.monitor.end(run, 'error', { error });
      hooks.trace('reconcile', `${name} fails: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  };

  if (definition.controllerType === 'queue') {
    const q = definition as QControllerDefinition;
    const reconcile: QControllerDefinition['reconcile'] = (ctx, pointer: Pointer) =>
      reconcileWith(ctx, formatPointer(pointer), (c) => q.reconcile(c as typeof ctx, pointer)) as ReturnType<
        QControllerDefinition['reconcile']
      >;
    return Object.freeze({ ...q, reconcile });
  }
  const full = definition as ControllerDefinition;
  const reconcile: ControllerDefinition['reconcile'] = (ctx) =>
    reconcileWith(ctx, name, (c) => full.reconcile(c as typeof ctx)) as ReturnType<
      ControllerDefinition['reconcile']
    >;
  return Object.freeze({ ...full, reconcile });
}
