import { AccessError } from '../errors.js';
import type { AnyInput, ControllerOutput } from './inputs.js';
import { kindKey } from './inputs.js';

/**
 * What one controller may touch, precomputed from its inputs and outputs so every check is a set
 * lookup. Rebuilt when the controller changes its inputs. @internal
 */
export class AccessPolicy {
  readonly #controller: string;
  /** Kinds (`ns\0type`) readable as a whole. */
  readonly #readKinds = new Set<string>();
  /** Single ids (`ns\0type\0id`) readable through an id-specific input. */
  readonly #readIds = new Set<string>();
  readonly #finalizerKinds = new Set<string>();
  readonly #finalizerIds = new Set<string>();
  readonly #outputTypes = new Set<string>();

  constructor(controller: string, inputs: readonly AnyInput[], outputs: readonly ControllerOutput[]) {
    this.#controller = controller;
    for (const i of inputs) {
      const key = kindKey(i.namespace, i.type);
      const finalizers = i.kind === 'strong' || i.kind === 'primary' || i.kind === 'mapped';
      if (i.id === undefined) {
        this.#readKinds.add(key);
        if (finalizers) this.#finalizerKinds.add(key);
      } else {
        this.#readIds.add(`${key}\0${i.id}`);
        if (finalizers) this.#finalizerIds.add(`${key}\0${i.id}`);
      }
    }
    for (const o of outputs) this.#outputTypes.add(o.type);
  }

  /** Throws `AccessError` unless the controller may `get` the pointer. */
  checkGet(p: { namespace: string; type: string; id: string }): void {
    if (this.#outputTypes.has(p.type)) return;
    const key = kindKey(p.namespace, p.type);
    if (this.#readKinds.has(key) || this.#readIds.has(`${key}\0${p.id}`)) return;
    throw this.#denied(p, 'not an input or output');
  }

  /** Throws `AccessError` unless the controller may `list` the kind. */
  checkList(k: { namespace: string; type: string }): void {
    if (this.#outputTypes.has(k.type) || this.#readKinds.has(kindKey(k.namespace, k.type))) return;
    throw this.#denied(k, 'not an input (of every id) or output');
  }

  /** Throws `AccessError` unless the type is one of the controller's outputs. */
  checkWrite(p: { namespace: string; type: string; id?: string }): void {
    if (this.#outputTypes.has(p.type)) return;
    throw this.#denied(p, 'not an output');
  }

  /** Throws `AccessError` unless the pointer is a strong, primary or mapped input. */
  checkFinalizers(p: { namespace: string; type: string; id: string }): void {
    const key = kindKey(p.namespace, p.type);
    if (this.#finalizerKinds.has(key) || this.#finalizerIds.has(`${key}\0${p.id}`)) return;
    throw this.#denied(p, 'finalizers may only be changed on strong, primary or mapped inputs');
  }

  /** True when the type is an output. */
  isOutput(type: string): boolean {
    return this.#outputTypes.has(type);
  }

  #denied(p: { namespace: string; type: string; id?: string }, reason: string): AccessError {
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
