import { AccessError } from '../errors.js';
import type { AnyInput, ControllerOutput } from './inputs.js';

/** `namespace → type → ids` (`null` = every id): nested maps, so checks never build key strings. */
type KindTable = Map<string, Map<string, Set<string> | null>>;

function allow(table: KindTable, namespace: string, type: string, id: string | undefined): void {
  let types = table.get(namespace);
  if (types === undefined) {
    types = new Map();
    table.set(namespace, types);
  }
  const ids = types.get(type);
  if (ids === null) return;
  if (id === undefined) types.set(type, null);
  else if (ids === undefined) types.set(type, new Set([id]));
  else ids.add(id);
}

/** True when the table allows the id (`undefined` asks for every id, as `list` does). */
function allows(table: KindTable, namespace: string, type: string, id: string | undefined): boolean {
  const ids = table.get(namespace)?.get(type);
  return ids === null || (ids !== undefined && id !== undefined && ids.has(id));
}

/**
 * What one controller may touch, precomputed from its inputs and outputs so every check is a few
 * map lookups. Rebuilt when the controller changes its inputs. @internal
 */
export class AccessPolicy {
  readonly #controller: string;
  readonly #read: KindTable = new Map();
  readonly #finalizers: KindTable = new Map();
  readonly #outputTypes = new Set<string>();

  constructor(controller: string, inputs: readonly AnyInput[], outputs: readonly ControllerOutput[]) {
    this.#controller = controller;
    for (const i of inputs) {
      allow(this.#read, i.namespace, i.type, i.id);
      if (i.kind === 'strong' || i.kind === 'primary' || i.kind === 'mapped') {
        allow(this.#finalizers, i.namespace, i.type, i.id);
      }
    }
    for (const o of outputs) this.#outputTypes.add(o.type);
  }

  /** Throws `AccessError` unless the controller may `get` the pointer. */
  checkGet(p: { namespace: string; type: string; id: string }): void {
    if (this.#outputTypes.has(p?.type) || allows(this.#read, p?.namespace, p?.type, p?.id)) return;
    throw this.#denied(p, 'not an input or output');
  }

  /** Throws `AccessError` unless the controller may `list` the kind. */
  checkList(k: { namespace: string; type: string }): void {
    if (this.#outputTypes.has(k?.type) || allows(this.#read, k?.namespace, k?.type, undefined)) return;
    throw this.#denied(k, 'not an input (of every id) or output');
  }

  /** Throws `AccessError` unless the type is one of the controller's outputs. */
  checkWrite(p: { namespace: string; type: string; id?: string }): void {
    if (this.#outputTypes.has(p?.type)) return;
    throw this.#denied(p, 'not an output');
  }

  /** Throws `AccessError` unless the pointer is a strong, primary or mapped input. */
  checkFinalizers(p: { namespace: string; type: string; id: string }): void {
    if (allows(this.#finalizers, p?.namespace, p?.type, p?.id)) return;
    throw this.#denied(p, 'finalizers may only be changed on strong, primary or mapped inputs');
  }

  #denied(p: { namespace: string; type: string; id?: string } | undefined, reason: string): AccessError {
    return new AccessError(
      {
        namespace: String(p?.namespace),
        type: String(p?.type),
        ...(p?.id !== undefined ? { id: p.id } : {}),
      },
      `${reason} of controller ${JSON.stringify(this.#controller)}`,
    );
  }
}
