import {
  type DependencyEdge,
  type DependencyEdgeType,
  type DependencyGraph,
  type DependencySource,
  makeDependencyGraph,
} from './dependency-graph.js';
import { type AnyInput, type ControllerOutput, kindKey } from './inputs.js';
import { RegistrationError } from './registration.js';
import type { Runner } from './runner.js';

/** One controller input subscribed to a kind. @internal */
interface Subscriber {
  readonly runner: Runner;
  readonly input: AnyInput;
}

/** Who depends on one kind: inputs of every id, and id-specific inputs by id. @internal */
export interface KindSubscribers {
  all: Subscriber[];
  byId: Map<string, Subscriber[]>;
}

const inputEdges: Record<AnyInput['kind'], DependencyEdgeType> = {
  weak: 'inputWeak',
  strong: 'inputStrong',
  destroyReady: 'inputDestroyReady',
  primary: 'inputPrimary',
  mapped: 'inputMapped',
  mappedDestroyReady: 'inputMappedDestroyReady',
};

/**
 * The dependency database: who writes which type (exclusive or shared) and who reads which kind,
 * as plain maps so the fan-out of a change is two lookups (COSI rewrote theirs for the same
 * reason). @internal
 */
export class Dependencies {
  readonly #runners = new Map<string, Runner>();
  readonly #exclusive = new Map<string, string>();
  readonly #shared = new Map<string, Set<string>>();
  readonly #subscribers = new Map<string, KindSubscribers>();
  readonly #defaultNamespaces = new Map<string, string>();

  get runners(): ReadonlyMap<string, Runner> {
    return this.#runners;
  }

  /** Throws unless the name is free and every output can be written by this controller. */
  check(name: string, outputs: readonly ControllerOutput[]): void {
    if (this.#runners.has(name))
      throw new RegistrationError(name, 'a controller with this name is already registered');
    for (const o of outputs) {
      const exclusive = this.#exclusive.get(o.type);
      if (exclusive !== undefined) {
        throw new RegistrationError(
          name,
          `output ${o.type} is already written exclusively by controller ${JSON.stringify(exclusive)}`,
        );
      }
      const shared = this.#shared.get(o.type);
      if (o.kind === 'exclusive' && shared !== undefined && shared.size > 0) {
        throw new RegistrationError(
          name,
          `output ${o.type} cannot be exclusive: it is a shared output of ${[...shared].map((s) => JSON.stringify(s)).join(', ')}`,
        );
      }
    }
  }

  /** Records a checked controller. */
  add(runner: Runner): void {
    this.#runners.set(runner.name, runner);
    for (const o of runner.outputs) {
      this.#defaultNamespaces.set(o.type, o.definition.defaultNamespace);
      if (o.kind === 'exclusive') this.#exclusive.set(o.type, runner.name);
      else {
        let set = this.#shared.get(o.type);
        if (set === undefined) {
          set = new Set();
          this.#shared.set(o.type, set);
        }
        set.add(runner.name);
      }
    }
    this.#subscribe(runner, runner.inputs);
  }

  /** Replaces a controller's inputs. */
  replaceInputs(runner: Runner, inputs: readonly AnyInput[]): void {
    this.#unsubscribe(runner, runner.inputs);
    runner.inputs = inputs;
    this.#subscribe(runner, inputs);
  }

  /** Whether a queue controller reads the kind (its watch must then keep the last value of each id). */
  queueReads(key: string): boolean {
    const subs = this.#subscribers.get(key);
    if (subs === undefined) return false;
    const queue = (s: Subscriber) => s.runner.controllerType === 'queue';
    if (subs.all.some(queue)) return true;
    for (const list of subs.byId.values()) if (list.some(queue)) return true;
    return false;
  }

  /** The subscribers of a kind, or undefined when nobody reads it. */
  subscribers(key: string): KindSubscribers | undefined {
    return this.#subscribers.get(key);
  }

  #subscribe(runner: Runner, inputs: readonly AnyInput[]): void {
    for (const input of inputs) {
      this.#defaultNamespaces.set(input.type, input.definition.defaultNamespace);
      const key = kindKey(input.namespace, input.type);
      let subs = this.#subscribers.get(key);
      if (subs === undefined) {
        subs = { all: [], byId: new Map() };
        this.#subscribers.set(key, subs);
      }
      const sub = { runner, input };
      if (input.id === undefined) subs.all = [...subs.all, sub];
      else subs.byId.set(input.id, [...(subs.byId.get(input.id) ?? []), sub]);
    }
  }

  #unsubscribe(runner: Runner, inputs: readonly AnyInput[]): void {
    for (const input of inputs) {
      const subs = this.#subscribers.get(kindKey(input.namespace, input.type));
      if (subs === undefined) continue;
      // Copies rather than in-place edits: a fan-out may be iterating the old arrays.
      if (input.id === undefined) subs.all = subs.all.filter((s) => s.runner !== runner || s.input !== input);
      else {
        const list = (subs.byId.get(input.id) ?? []).filter((s) => s.runner !== runner || s.input !== input);
        if (list.length > 0) subs.byId.set(input.id, list);
        else subs.byId.delete(input.id);
      }
    }
  }

  /** The graph of every registered controller. */
  graph(): DependencyGraph {
    const edges: DependencyEdge[] = [];
    const sources: DependencySource[] = [];
    for (const runner of this.#runners.values()) {
      for (const s of runner.sources) sources.push({ controller: runner.name, source: s.name });
      for (const i of runner.inputs) {
        edges.push({
          controller: runner.name,
          edgeType: inputEdges[i.kind],
          type: i.type,
          namespace: i.namespace,
          ...(i.id !== undefined ? { id: i.id } : {}),
        });
      }
      for (const o of runner.outputs) {
        edges.push({
          controller: runner.name,
          edgeType: o.kind === 'exclusive' ? 'outputExclusive' : 'outputShared',
          type: o.type,
        });
      }
    }
    return makeDependencyGraph(
      [...this.#runners.keys()],
      edges,
      (t) => this.#defaultNamespaces.get(t),
      sources,
    );
  }
}
