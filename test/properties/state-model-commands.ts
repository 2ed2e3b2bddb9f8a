/**
 * A reference model of the state (a Map) and fast-check commands that apply the same operation to
 * the model and to a real store, then check that both agree.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { z } from 'zod';
import {
  type AnyResource,
  defineResource,
  type Phase,
  type State,
  type TransactionOp,
  type WatchEvent,
} from '../../src/index.js';

export const Items = defineResource({
  type: 'ModelItems.properties.converge.dev',
  spec: z.object({ value: z.number().int() }),
});

/** What the model keeps of a resource. */
interface Entry {
  version: number;
  owner: string;
  phase: Phase;
  finalizers: string[];
  value: number;
}

export interface Model {
  entries: Map<string, Entry>;
}

/** The store and the streams opened on it during a run. */
export interface Real {
  state: State;
  /** A kind watch opened before the first command, starting with a noop bookmark. */
  history: WatchEvent[];
  /** Bootstrap watches opened at random points. */
  bootstraps: WatchEvent[][];
  errors: unknown[];
  stop: (() => void)[];
}

type Code = 'ok' | 'NotFound' | 'Conflict' | 'OwnerConflict' | 'PhaseConflict';
type ExpectedPhase = Phase | 'any';

export type ModelOp =
  | { op: 'create'; id: string; value: number; owner: string; finalizers: string[] }
  | {
      op: 'update';
      id: string;
      value: number;
      owner: string;
      versionDelta: number;
      expectedPhase?: ExpectedPhase;
    }
  | { op: 'destroy'; id: string; owner: string };

/** Applies one op to the entries as the store would, or returns the code it must fail with. */
function applyOp(entries: Map<string, Entry>, o: ModelOp): Code {
  const current = entries.get(o.id);
  switch (o.op) {
    case 'create':
      if (current) return 'Conflict';
      entries.set(o.id, {
        version: 1,
        owner: o.owner,
        phase: 'running',
        finalizers: [...new Set(o.finalizers)],
        value: o.value,
      });
      return 'ok';
    case 'update': {
      if (!current) return 'NotFound';
      if (o.owner !== current.owner) return 'OwnerConflict';
      if (o.versionDelta !== 0) return 'Conflict';
      const expected = o.expectedPhase ?? 'running';
      if (expected !== 'any' && expected !== current.phase) return 'PhaseConflict';
      entries.set(o.id, { ...current, version: current.version + 1, value: o.value });
      return 'ok';
    }
    case 'destroy':
      if (!current) return 'NotFound';
      if (o.owner !== current.owner) return 'OwnerConflict';
      if (current.finalizers.length > 0) return 'Conflict';
      entries.delete(o.id);
      return 'ok';
  }
}

/** The resource a real op writes, built from the entry the model holds at that point. */
function toTransactionOp(entries: Map<string, Entry>, o: ModelOp): TransactionOp {
  if (o.op === 'destroy') return { op: 'destroy', pointer: Items.pointer(o.id), owner: o.owner };
  if (o.op === 'create') {
    return {
      op: 'create',
      resource: Items.make(o.id, { value: o.value }, { finalizers: o.finalizers }),
      owner: o.owner,
    };
  }
  const current = entries.get(o.id);
  const made = Items.make(o.id, { value: o.value }, { finalizers: current?.finalizers ?? [] });
  const resource: AnyResource = {
    ...made,
    metadata: {
      ...made.metadata,
      version: Math.max(0, (current?.version ?? 1) + o.versionDelta),
      phase: current?.phase ?? 'running',
    },
  };
  return {
    op: 'update',
    resource,
    owner: o.owner,
    ...(o.expectedPhase === undefined ? {} : { expectedPhase: o.expectedPhase }),
  };
}

async function outcome(run: () => Promise<unknown>): Promise<Code | string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** The store's list, in the model's terms. */
async function listed(state: State): Promise<[string, Entry][]> {
  const resources = await state.list(Items.kind());
  return resources.map((r) => [
    r.metadata.id,
    {
      version: r.metadata.version,
      owner: r.metadata.owner,
      phase: r.metadata.phase,
      finalizers: [...r.metadata.finalizers].sort(),
      value: r.spec.value,
    },
  ]);
}

function modelList(model: Model): [string, Entry][] {
  return [...model.entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, e]) => [id, { ...e, finalizers: [...e.finalizers].sort() }]);
}

/** A command: predict with the model, run on the store, compare the outcome and then the whole list. */
abstract class StateCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const predicted = structuredClone(model.entries);
    const expected = this.predict(predicted);
    const got = await outcome(() => this.apply(real.state, model));
    expect(got, `${this.toString()}`).toBe(expected);
    if (expected === 'ok') model.entries = predicted;
    expect(await listed(real.state), `list after ${this.toString()}`).toEqual(modelList(model));
  }

  protected abstract predict(entries: Map<string, Entry>): Code;
  protected abstract apply(state: State, model: Model): Promise<unknown>;
  abstract toString(): string;
}

class OpCommand extends StateCommand {
  constructor(readonly o: ModelOp) {
    super();
  }
  protected predict(entries: Map<string, Entry>): Code {
    return applyOp(entries, this.o);
  }
  protected apply(state: State, model: Model): Promise<unknown> {
    const t = toTransactionOp(model.entries, this.o);
    if (t.op === 'create') return state.create(t.resource, { owner: t.owner ?? '' });
    if (t.op === 'destroy') return state.destroy(t.pointer, { owner: t.owner ?? '' });
    return state.update(t.resource, {
      owner: t.owner ?? '',
      ...(t.expectedPhase === undefined ? {} : { expectedPhase: t.expectedPhase }),
    });
  }
  toString(): string {
    return JSON.stringify(this.o);
  }
}

class TransactionCommand extends StateCommand {
  constructor(readonly ops: ModelOp[]) {
    super();
  }
  protected predict(entries: Map<string, Entry>): Code {
    for (const o of this.ops) {
      const code = applyOp(entries, o);
      if (code !== 'ok') return code;
    }
    return 'ok';
  }
  protected apply(state: State, model: Model): Promise<unknown> {
    // Each op is built against the state the ops before it leave, as the store checks it.
    const staged = structuredClone(model.entries);
    const ops: TransactionOp[] = [];
    for (const o of this.ops) {
      ops.push(toTransactionOp(staged, o));
      applyOp(staged, o);
    }
    return state.transaction(ops);
  }
  toString(): string {
    return `transaction ${JSON.stringify(this.ops)}`;
  }
}

class TeardownCommand extends StateCommand {
  constructor(
    readonly id: string,
    readonly owner: string,
  ) {
    super();
  }
  protected predict(entries: Map<string, Entry>): Code {
    const e = entries.get(this.id);
    if (!e) return 'NotFound';
    if (e.owner !== this.owner) return 'OwnerConflict';
    if (e.phase === 'running') entries.set(this.id, { ...e, phase: 'tearingDown', version: e.version + 1 });
    return 'ok';
  }
  protected async apply(state: State, model: Model): Promise<unknown> {
    const ready = await state.teardown(Items.pointer(this.id), { owner: this.owner });
    expect(ready).toBe(model.entries.get(this.id)!.finalizers.length === 0);
    return ready;
  }
  toString(): string {
    return `teardown ${this.id} by ${JSON.stringify(this.owner)}`;
  }
}

class FinalizerCommand extends StateCommand {
  constructor(
    readonly add: boolean,
    readonly id: string,
    readonly name: string,
  ) {
    super();
  }
  protected predict(entries: Map<string, Entry>): Code {
    const e = entries.get(this.id);
    if (!e) return 'NotFound';
    const has = e.finalizers.includes(this.name);
    if (this.add && !has)
      entries.set(this.id, { ...e, finalizers: [...e.finalizers, this.name], version: e.version + 1 });
    if (!this.add && has) {
      entries.set(this.id, {
        ...e,
        finalizers: e.finalizers.filter((f) => f !== this.name),
        version: e.version + 1,
      });
    }
    return 'ok';
  }
  protected apply(state: State): Promise<unknown> {
    const p = Items.pointer(this.id);
    return this.add ? state.addFinalizer(p, this.name) : state.removeFinalizer(p, this.name);
  }
  toString(): string {
    return `${this.add ? 'addFinalizer' : 'removeFinalizer'} ${this.id} ${this.name}`;
  }
}

class ModifyCommand extends StateCommand {
  constructor(
    readonly id: string,
    readonly value: number,
    readonly owner: string,
  ) {
    super();
  }
  protected predict(entries: Map<string, Entry>): Code {
    const e = entries.get(this.id);
    if (!e) {
      entries.set(this.id, {
        version: 1,
        owner: this.owner,
        phase: 'running',
        finalizers: [],
        value: this.value,
      });
      return 'ok';
    }
    // Phase first; an unchanged result writes nothing, so only a real change meets the owner check.
    if (e.phase !== 'running') return 'PhaseConflict';
    if (e.value === this.value) return 'ok';
    if (e.owner !== this.owner) return 'OwnerConflict';
    entries.set(this.id, { ...e, value: this.value, version: e.version + 1 });
    return 'ok';
  }
  protected apply(state: State): Promise<unknown> {
    return state.modify(
      Items.make(this.id, { value: 0 }),
      (d) => {
        d.spec.value = this.value;
      },
      { owner: this.owner },
    );
  }
  toString(): string {
    return `modify ${this.id} = ${this.value} by ${JSON.stringify(this.owner)}`;
  }
}

/** Opens a bootstrap watch at this point of the run; the final check replays it. */
class OpenBootstrapCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(_model: Model, real: Real): Promise<void> {
    const events: WatchEvent[] = [];
    real.bootstraps.push(events);
    const sub = real.state
      .watchKind(Items.kind(), { bootstrapContents: true })
      .subscribe({ next: (e) => events.push(e), error: (e: unknown) => real.errors.push(e) });
    real.stop.push(() => sub.unsubscribe());
  }
  toString(): string {
    return 'open a bootstrap watch';
  }
}

const ids = fc.constantFrom('a', 'b', 'c', 'd');
const owners = fc.constantFrom('', 'ctrl');
const values = fc.integer({ min: 0, max: 3 });
const finalizerNames = fc.constantFrom('f1', 'f2');
const phases = fc.constantFrom<ExpectedPhase | undefined>(undefined, 'running', 'tearingDown', 'any');

const modelOps: fc.Arbitrary<ModelOp> = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    id: ids,
    value: values,
    owner: owners,
    finalizers: fc.subarray(['f1', 'f2']),
  }),
  fc
    .record({
      op: fc.constant('update' as const),
      id: ids,
      value: values,
      owner: owners,
      // Mostly the right version; sometimes stale or ahead.
      versionDelta: fc.constantFrom(0, 0, 0, -1, 1),
      expectedPhase: phases,
    })
    .map(({ expectedPhase, ...rest }) => (expectedPhase === undefined ? rest : { ...rest, expectedPhase })),
  fc.record({ op: fc.constant('destroy' as const), id: ids, owner: owners }),
);

/** Every command, with weights that keep most runs busy on a few ids. */
export const stateCommands = [
  modelOps.map((o) => new OpCommand(o)),
  modelOps.map((o) => new OpCommand(o)),
  fc.array(modelOps, { minLength: 1, maxLength: 4 }).map((ops) => new TransactionCommand(ops)),
  fc.tuple(ids, owners).map(([id, owner]) => new TeardownCommand(id, owner)),
  fc.tuple(fc.boolean(), ids, finalizerNames).map(([add, id, name]) => new FinalizerCommand(add, id, name)),
  fc.tuple(ids, values, owners).map(([id, value, owner]) => new ModifyCommand(id, value, owner)),
  fc.constant(new OpenBootstrapCommand()),
];
