import { AsyncLocalStorage } from 'node:async_hooks';
import type { AnyControllerDefinition } from '../../runtime/controller/define-controller.js';
import { formatPointer, type Pointer } from '../../runtime/resource/pointer.js';
import type { CoreState, TransactionOp } from '../../runtime/state/state.js';
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

/** Where a planned throw of a reconcile lands. @internal */
export type ThrowPlan = { at: 'start' } | { at: 'call'; n: number } | { at: 'end' } | undefined;

/** The reconcile a store call is made for, found through the async context of the call. @internal */
export interface ActiveRun {
  readonly run: ReconcileRun;
  readonly plan: { current: ThrowPlan };
  readonly controller: string;
  /** Types it declares as outputs. */
  readonly outputs: ReadonlySet<string>;
  /** Types whose finalizers it may change (strong, primary and mapped inputs). */
  readonly finalizable: ReadonlySet<string>;
}

/**
 * The reconcile running in the current async context. Every store call a reconcile makes runs in
 * its context, whichever context method (or future batched-write API) made it, so faults reach
 * them all without a list of method names.
 */
const active = new AsyncLocalStorage<ActiveRun>();

/** Runs `fn` as reconcile `run`: store calls made from it are the run's. @internal */
export function runAs<T>(run: ActiveRun, fn: () => T): T {
  return active.run(run, fn);
}

/** What an active run needs to know of its controller. @internal */
export function declaredTypes(
  definition: AnyControllerDefinition,
): Pick<ActiveRun, 'outputs' | 'finalizable'> {
  return {
    outputs: new Set(definition.outputs.map((o) => o.type)),
    finalizable: new Set(
      definition.inputs
        .filter((i) => i.kind === 'strong' || i.kind === 'primary' || i.kind === 'mapped')
        .map((i) => i.type),
    ),
  };
}

/** A promise that never settles: what a crashed process's pending work looks like. */
const never = <T>(): Promise<T> => new Promise<T>(() => {});

type Write = { readonly op: 'create' | 'update' | 'destroy'; readonly pointer: Pointer };

function subject(p: Pointer): string {
  return formatPointer({ namespace: p.namespace, type: p.type, id: p.id });
}

/** Writes a store call makes; updates of non-outputs are finalizer edits, allowed on finalizable inputs. */
function undeclared(a: ActiveRun, writes: readonly Write[]): string[] {
  const out: string[] = [];
  for (const w of writes) {
    if (a.outputs.has(w.pointer.type)) continue;
    if (w.op === 'update' && a.finalizable.has(w.pointer.type)) continue;
    out.push(
      w.op === 'update'
        ? `${a.controller} updated ${w.pointer.type}, which is neither an output nor a strong input, and the runtime allowed it`
        : `${a.controller} called ${w.op} on ${w.pointer.type}, which it does not declare as an output, and the runtime allowed it`,
    );
  }
  return out;
}

function opWrite(op: TransactionOp): Write {
  return op.op === 'destroy'
    ? { op: 'destroy', pointer: op.pointer }
    : { op: op.op, pointer: op.resource.metadata };
}

/**
 * Wraps a runtime's store so that every call a reconcile makes (reads, writes, transactions and
 * batched writes alike) is a point where the simulation's faults land: a throw planned between two
 * calls, a failing call, a crash right before or right after it. Each write that reaches the store
 * is checked against what the controller declares. Calls outside a reconcile pass untouched. @internal
 */
export function faultyControllerCalls(inner: CoreState, hooks: InstrumentHooks): CoreState {
  const call = async <T>(
    method: string,
    about: string,
    writes: readonly Write[],
    invoke: () => Promise<T>,
  ): Promise<T> => {
    const a = active.getStore();
    if (a === undefined) return invoke();
    const { run, plan, controller: name } = a;
    run.calls++;
    const p = plan.current;
    if (p?.at === 'call' && run.calls >= p.n) {
      plan.current = undefined;
      hooks.trace('fault', `${name} throws before its call ${method} (#${run.calls})`);
      throw new InjectedFault('reconcileThrows', `${name} failed before ${method}`);
    }
    // Named by what the call is about, so shrinking other operations leaves this decision be.
    const where = `${name}${run.key === name ? '' : ` ${run.key}`} ${method} ${about}`;
    const rates = hooks.faults();
    const failable = rates.callFailsOn === undefined || rates.callFailsOn.includes(method);
    if (failable && hooks.choices.chance(rates.callFails, 'fail', where)) {
      hooks.trace('fault', `${name}'s call ${method} (#${run.calls}) fails`);
      throw new InjectedFault('callFails', `${name}'s call ${method} failed`);
    }
    const crashHere = hooks.choices.chance(rates.crash, 'crash', where);
    const after = crashHere && hooks.choices.int(2, 'crash after', where) === 1;
    if (
      crashHere &&
      !after &&
      hooks.crash(run, `before ${name} ${method} (call #${run.calls} of ${run.key})`)
    ) {
      return never();
    }
    const result = await invoke();
    for (const message of undeclared(a, writes)) hooks.monitor.report('undeclaredWrite', message);
    if (after && hooks.crash(run, `after ${name} ${method} (call #${run.calls} of ${run.key})`))
      return never();
    return result;
  };

  return {
    get: (pointer) => call('get', subject(pointer), [], () => inner.get(pointer)),
    list: (kind, options) => call('list', formatPointer(kind), [], () => inner.list(kind, options)),
    create: (resource, options) =>
      call('create', subject(resource.metadata), [{ op: 'create', pointer: resource.metadata }], () =>
        inner.create(resource, options),
      ),
    update: (resource, options) =>
      call('update', subject(resource.metadata), [{ op: 'update', pointer: resource.metadata }], () =>
        inner.update(resource, options),
      ),
    destroy: (pointer, options) =>
      call('destroy', subject(pointer), [{ op: 'destroy', pointer }], () => inner.destroy(pointer, options)),
    transaction: (ops) => {
      const writes = ops.map(opWrite);
      const about = writes.map((w) => `${w.op} ${subject(w.pointer)}`).join(', ');
      return call('transaction', about, writes, () => inner.transaction(ops));
    },
    watch: (pointer, options) => inner.watch(pointer, options),
    watchKind: (kind, options) => inner.watchKind(kind, options),
    watchKindAggregated: (kind, options) => inner.watchKindAggregated(kind, options),
    ...(inner.delivered !== undefined ? { delivered: () => inner.delivered!() } : {}),
  };
}
