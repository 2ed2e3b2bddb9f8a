import fc from 'fast-check';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import { formatPointer, type Pointer } from '../../runtime/resource/pointer.js';
import type { State } from '../../runtime/state/state.js';
import { InputModel } from './input-model.js';
import { type SchemaArbitraryOptions, specArbitrary } from './zod-arbitrary.js';

/** What user commands act on: a simulation (or anything that offers the same). */
export interface CommandTarget {
  /** The user's view of the store: immediate, no faults. */
  readonly user: State;
  /** Runs up to `steps` steps of pending work (or as many as the schedule picks) between two user operations. */
  interleave(steps?: number): Promise<void>;
  /** Records a user operation (trace; the storm detector starts counting again). */
  userOperation(text: string): void;
  /** Runs the simulation until `promise` settles, and returns its value. */
  runUntil<T>(promise: Promise<T>, what: string): Promise<T>;
  /** Destroys in the background, as `teardownAndDestroy` does; remembered until it completes. */
  destroyInBackground(pointer: Pointer): void;
  /** The background destroy of a pointer, if one is under way. */
  pendingDestroy(pointer: Pointer): Promise<void> | undefined;
}

/** One user operation, for `fc.commands`. */
export type UserCommand = fc.AsyncCommand<InputModel, CommandTarget, false>;

/** Which operations `userCommands` generates, with relative weights (0 turns one off). */
export interface OperationWeights {
  create?: number;
  update?: number;
  teardown?: number;
  destroy?: number;
  /** Adding and removing user finalizers. */
  finalizers?: number;
}

/** Options of {@link userCommands}. */
export interface UserCommandOptions {
  /** The ids commands pick from, per definition (default `['a', 'b', 'c']`: few ids, many collisions). */
  ids?: readonly string[];
  /** User finalizers commands add and remove (default `['user.converge.dev/hold']`). */
  finalizers?: readonly string[];
  /** At most this many commands are generated (default 30); those not applicable when their turn comes are skipped. */
  maxCommands?: number;
  /** Relative weights of the operations (default create 4, update 3, destroy 2, teardown 1, finalizers 1). */
  weights?: OperationWeights;
  /**
   * Whether an id may be created again once its destroy completes (default true). Off, every id has
   * one life: use it to set aside the ABA case of optimistic concurrency (a new resource with the same
   * id starts again at version 1, so a write prepared against the old one can land on the new one).
   */
  recreate?: boolean;
  /** At most this many steps run after each operation (default 20); fast-check picks and shrinks the number. */
  maxStepsBetween?: number;
  /** Options of the spec arbitraries derived from each definition's schema. */
  spec?: SchemaArbitraryOptions;
  /** Spec arbitraries to use instead of derived ones, by definition. */
  specs?: ReadonlyMap<AnyResourceDefinition, fc.Arbitrary<unknown>>;
  /** fast-check's replay path of the commands, to replay a shrunk failure (printed with it). */
  replayPath?: string;
}

const show = (pointer: Pointer) => formatPointer(pointer);

class CreateCommand implements UserCommand {
  constructor(
    readonly definition: AnyResourceDefinition,
    readonly id: string,
    readonly spec: unknown,
    readonly recreate: boolean,
    readonly steps: number,
  ) {}
  check(model: InputModel): boolean {
    const e = model.get(this.definition.pointer(this.id));
    return e === undefined || (this.recreate && e.destroying && e.finalizers.size === 0);
  }
  async run(model: InputModel, target: CommandTarget): Promise<void> {
    const pointer = this.definition.pointer(this.id);
    const pending = target.pendingDestroy(pointer);
    if (pending !== undefined) await target.runUntil(pending, `the destroy of ${show(pointer)}`);
    const made = this.definition.make(this.id, this.spec);
    target.userOperation(this.toString());
    await target.user.create(made);
    model.created(this.definition, made);
    await target.interleave(this.steps);
  }
  toString(): string {
    return `create ${show(this.definition.pointer(this.id))} ${fc.stringify(this.spec)}`;
  }
}

class UpdateCommand implements UserCommand {
  constructor(
    readonly definition: AnyResourceDefinition,
    readonly id: string,
    readonly spec: unknown,
    readonly steps: number,
  ) {}
  check(model: InputModel): boolean {
    const e = model.get(this.definition.pointer(this.id));
    return e !== undefined && e.phase === 'running' && !e.destroying;
  }
  async run(model: InputModel, target: CommandTarget): Promise<void> {
    const pointer = this.definition.pointer(this.id);
    const made = this.definition.make(this.id, this.spec);
    target.userOperation(this.toString());
    await target.user.updateWithConflicts(pointer, (d) => {
      d.spec = made.spec;
    });
    model.get(pointer)!.made = made;
    await target.interleave(this.steps);
  }
  toString(): string {
    return `update ${show(this.definition.pointer(this.id))} ${fc.stringify(this.spec)}`;
  }
}

class TeardownCommand implements UserCommand {
  constructor(
    readonly definition: AnyResourceDefinition,
    readonly id: string,
    readonly steps: number,
  ) {}
  check(model: InputModel): boolean {
    const e = model.get(this.definition.pointer(this.id));
    return e !== undefined && e.phase === 'running';
  }
  async run(model: InputModel, target: CommandTarget): Promise<void> {
    const pointer = this.definition.pointer(this.id);
    target.userOperation(this.toString());
    await target.user.teardown(pointer);
    model.get(pointer)!.phase = 'tearingDown';
    await target.interleave(this.steps);
  }
  toString(): string {
    return `teardown ${show(this.definition.pointer(this.id))}`;
  }
}

class DestroyCommand implements UserCommand {
  constructor(
    readonly definition: AnyResourceDefinition,
    readonly id: string,
    readonly steps: number,
  ) {}
  check(model: InputModel): boolean {
    const e = model.get(this.definition.pointer(this.id));
    return e !== undefined && !e.destroying;
  }
  async run(model: InputModel, target: CommandTarget): Promise<void> {
    const pointer = this.definition.pointer(this.id);
    target.userOperation(this.toString());
    const entry = model.get(pointer)!;
    entry.phase = 'tearingDown';
    entry.destroying = true;
    target.destroyInBackground(pointer);
    await target.interleave(this.steps);
  }
  toString(): string {
    return `destroy ${show(this.definition.pointer(this.id))}`;
  }
}

class FinalizerCommand implements UserCommand {
  constructor(
    readonly definition: AnyResourceDefinition,
    readonly id: string,
    readonly finalizer: string,
    readonly add: boolean,
    readonly steps: number,
  ) {}
  check(model: InputModel): boolean {
    const e = model.get(this.definition.pointer(this.id));
    if (e === undefined) return false;
    // A destroy waiting only for this finalizer may complete at any moment once it is removed.
    return this.add ? !e.finalizers.has(this.finalizer) && !e.destroying : e.finalizers.has(this.finalizer);
  }
  async run(model: InputModel, target: CommandTarget): Promise<void> {
    const pointer = this.definition.pointer(this.id);
    target.userOperation(this.toString());
    const entry = model.get(pointer)!;
    if (this.add) {
      await target.user.addFinalizer(pointer, this.finalizer);
      entry.finalizers.add(this.finalizer);
    } else {
      await target.user.removeFinalizer(pointer, this.finalizer);
      entry.finalizers.delete(this.finalizer);
    }
    await target.interleave(this.steps);
  }
  toString(): string {
    return `${this.add ? 'addFinalizer' : 'removeFinalizer'} ${show(this.definition.pointer(this.id))} ${this.finalizer}`;
  }
}

function weighted<T>(arb: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T>[] {
  if (!(weight >= 0) || !Number.isInteger(weight)) {
    throw new RangeError(`userCommands: weights must be integers >= 0, got ${weight}`);
  }
  return Array.from({ length: weight }, () => arb);
}

/**
 * `fc.commands` over user operations on the given definitions: create, update (new specs from the
 * schema), teardown, destroy (in the background, waiting for finalizers as `teardownAndDestroy`
 * does) and user finalizer changes. Run them with `fc.asyncModelRun` against a simulation, with an
 * {@link InputModel} as the model; the model then says which inputs must exist after settling.
 */
export function userCommands(
  definitions: readonly AnyResourceDefinition[],
  options: UserCommandOptions = {},
): fc.Arbitrary<Iterable<UserCommand>> {
  if (definitions.length === 0) throw new TypeError('userCommands: give at least one definition');
  const ids = options.ids ?? ['a', 'b', 'c'];
  if (ids.length === 0) throw new TypeError('userCommands: ids must not be empty');
  const finalizers = options.finalizers ?? ['user.converge.dev/hold'];
  const recreate = options.recreate ?? true;
  const w = { create: 4, update: 3, destroy: 2, teardown: 1, finalizers: 1, ...options.weights };
  const id = fc.constantFrom(...ids);
  const maxSteps = options.maxStepsBetween ?? 20;
  if (!(maxSteps >= 0) || !Number.isInteger(maxSteps)) {
    throw new RangeError(`userCommands: maxStepsBetween must be an integer >= 0, got ${maxSteps}`);
  }
  // Each command carries the steps that run after it, so dropping a command while shrinking leaves
  // the others' timing alone.
  const steps = fc.nat({ max: maxSteps });
  const arbs: fc.Arbitrary<UserCommand>[] = [];
  for (const definition of definitions) {
    const spec = options.specs?.get(definition) ?? specArbitrary(definition, options.spec);
    const withSpec = fc.tuple(id, spec, steps);
    const plain = fc.tuple(id, steps);
    arbs.push(
      ...weighted(
        withSpec.map(([i, s, n]) => new CreateCommand(definition, i, s, recreate, n)),
        w.create,
      ),
    );
    arbs.push(
      ...weighted(
        withSpec.map(([i, s, n]) => new UpdateCommand(definition, i, s, n)),
        w.update,
      ),
    );
    arbs.push(
      ...weighted(
        plain.map(([i, n]) => new TeardownCommand(definition, i, n)),
        w.teardown,
      ),
    );
    arbs.push(
      ...weighted(
        plain.map(([i, n]) => new DestroyCommand(definition, i, n)),
        w.destroy,
      ),
    );
    if (finalizers.length > 0) {
      const fin = fc.tuple(id, fc.constantFrom(...finalizers), fc.boolean(), steps);
      arbs.push(
        ...weighted(
          fin.map(([i, f, add, n]) => new FinalizerCommand(definition, i, f, add, n)),
          w.finalizers,
        ),
      );
    }
  }
  if (arbs.length === 0) throw new TypeError('userCommands: every operation weight is 0');
  return fc.commands(arbs, {
    maxCommands: options.maxCommands ?? 30,
    // Up to maxCommands for real: fast-check's default size would keep sequences at a handful.
    size: 'max',
    ...(options.replayPath !== undefined ? { replayPath: options.replayPath } : {}),
  });
}

/** A fresh model for `fc.asyncModelRun`. */
export function createInputModel(): InputModel {
  return new InputModel();
}
