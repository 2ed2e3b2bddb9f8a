import {
  type AnyControllerDefinition,
  type ControllerDefinition,
  type QControllerDefinition,
  requeueDelay,
} from '../../runtime/controller/define-controller.js';
import { formatPointer, type Pointer } from '../../runtime/resource/pointer.js';
import { InjectedFault, type ResolvedFaultRates } from './faults.js';
import type { InvariantMonitor, ReconcileRun } from './invariants.js';
import type { Choices } from './seeded-random.js';
import type { TraceKind } from './trace.js';

/** What an instrumented controller reports to and asks of its simulation. */
export interface InstrumentHooks {
  readonly monitor: InvariantMonitor;
  readonly choices: Choices;
  /** The fault rates of the current phase. */
  faults(): ResolvedFaultRates;
  /**
   * Kills the runtime incarnation the reconcile belongs to (crash-anywhere), synchronously; `false`
   * when a crash is not possible now (a graceful restart is under way), and the reconcile goes on.
   */
  crash(run: ReconcileRun, where: string): boolean;
  trace(kind: TraceKind, text: string): void;
}

/** Context methods that reach the store: the points where faults and crashes are injected. */
const storeCalls = new Set([
  'get',
  'list',
  'create',
  'update',
  'modify',
  'teardown',
  'destroy',
  'teardownAndDestroy',
  'addFinalizer',
  'removeFinalizer',
  'cleanupOutputs',
  'transaction',
]);
const writeCalls = new Set(['create', 'update', 'modify', 'teardown', 'destroy', 'teardownAndDestroy']);
const finalizerCalls = new Set(['addFinalizer', 'removeFinalizer']);

type ThrowPlan = { at: 'start' } | { at: 'call'; n: number } | { at: 'end' } | undefined;

/** A promise that never settles: what a crashed process's pending work looks like. */
const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** The resource or kind a context call is about, as text. */
function subjectOf(arg: unknown): string {
  if (typeof arg !== 'object' || arg === null) return '';
  const target = ((arg as { metadata?: unknown }).metadata ?? arg) as {
    namespace?: unknown;
    type?: unknown;
    id?: unknown;
  };
  if (typeof target.type !== 'string' || typeof target.namespace !== 'string') return '';
  return typeof target.id === 'string'
    ? formatPointer({ namespace: target.namespace, type: target.type, id: target.id })
    : formatPointer({ namespace: target.namespace, type: target.type });
}

function typeOfTarget(arg: unknown): string | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const meta = (arg as { metadata?: { type?: unknown } }).metadata;
  const type = meta?.type ?? (arg as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

/**
 * Wraps a controller definition for one runtime incarnation: its reconciles are reported to the
 * invariant monitor (concurrency per key, outcomes, storms), its context checks that the runtime
 * refused undeclared writes, and the simulation's faults are injected at its store calls: a throw at
 * the start, between calls or at the end, and a crash right before or right after a call.
 */
export function instrumentController(
  definition: AnyControllerDefinition,
  incarnation: number,
  hooks: InstrumentHooks,
): AnyControllerDefinition {
  const outputs = new Set(definition.outputs.map((o) => o.type));
  const finalizable = new Set(
    definition.inputs
      .filter((i) => i.kind === 'strong' || i.kind === 'primary' || i.kind === 'mapped')
      .map((i) => i.type),
  );
  const name = definition.name;

  const wrapContext = <TCtx extends object>(
    ctx: TCtx,
    run: ReconcileRun,
    plan: { current: ThrowPlan },
  ): TCtx => {
    const cache = new Map<PropertyKey, unknown>();
    return new Proxy(ctx, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        let wrapped = cache.get(prop);
        if (wrapped !== undefined) return wrapped;
        const method = value as (...args: unknown[]) => unknown;
        if (typeof prop !== 'string' || !storeCalls.has(prop)) {
          wrapped = method.bind(target);
        } else {
          wrapped = async (...args: unknown[]) => {
            run.calls++;
            const p = plan.current;
            if (p?.at === 'call' && run.calls >= p.n) {
              plan.current = undefined;
              hooks.trace('fault', `${name} throws before its call ${prop} (#${run.calls})`);
              throw new InjectedFault('reconcileThrows', `${name} failed before ${prop}`);
            }
            // Named by what the call is about, so shrinking other operations leaves this decision be.
            const where = `${name}${run.key === name ? '' : ` ${run.key}`} ${prop} ${subjectOf(args[0])}`;
            const rates = hooks.faults();
            const failable = rates.callFailsOn === undefined || rates.callFailsOn.includes(prop);
            if (failable && hooks.choices.chance(rates.callFails, 'fail', where)) {
              hooks.trace('fault', `${name}'s call ${prop} (#${run.calls}) fails`);
              throw new InjectedFault('callFails', `${name}'s call ${prop} failed`);
            }
            const crashHere = hooks.choices.chance(rates.crash, 'crash', where);
            const after = crashHere && hooks.choices.int(2, 'crash after', where) === 1;
            if (
              crashHere &&
              !after &&
              hooks.crash(run, `before ${name} ${prop} (call #${run.calls} of ${run.key})`)
            ) {
              return never();
            }
            const result = await method.apply(target, args);
            // A transaction's ops are checked one by one, as the single calls they stand for.
            const writes =
              prop === 'transaction' && Array.isArray(args[0])
                ? (args[0] as { op?: unknown; resource?: unknown; pointer?: unknown }[]).map(
                    (op) => [String(op?.op), op?.resource ?? op?.pointer] as const,
                  )
                : [[prop, args[0]] as const];
            for (const [call, subject] of writes) {
              const type = typeOfTarget(subject);
              if (type !== undefined && writeCalls.has(call) && !outputs.has(type)) {
                hooks.monitor.report(
                  'undeclaredWrite',
                  `${name} called ctx.${call} on ${type}, which it does not declare as an output, and the runtime allowed it`,
                );
              }
              if (type !== undefined && finalizerCalls.has(call) && !finalizable.has(type)) {
                hooks.monitor.report(
                  'undeclaredWrite',
                  `${name} called ctx.${call} on ${type}, which is not a strong input, and the runtime allowed it`,
                );
              }
            }
            if (after && hooks.crash(run, `after ${name} ${prop} (call #${run.calls} of ${run.key})`)) {
              return never();
            }
            return result;
          };
        }
        cache.set(prop, wrapped);
        return wrapped;
      },
    });
  };

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
      const result = await call(wrapContext(ctx, run, plan));
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
