import type { AnyResourceDefinition } from './define-resource.js';

declare const definitionBrand: unique symbol;

/**
 * A (namespace, type) pair: every resource of one type in one namespace.
 *
 * @remarks `TDef` is a phantom: kinds made by `D.kind()` carry their definition so reads are typed;
 * a plain `{ namespace, type }` object is accepted everywhere and reads as an untyped resource.
 */
export interface Kind<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly namespace: string;
  readonly type: TDef['type'];
  /** @internal phantom carrier of the definition; never present at run time. */
  readonly [definitionBrand]?: TDef;
}

/** A kind plus an id: the identity of one resource. */
export interface Pointer<TDef extends AnyResourceDefinition = AnyResourceDefinition> extends Kind<TDef> {
  readonly id: string;
}

/** Formats a pointer as `type(namespace/id)`, the form COSI prints and errors use. */
export function formatPointer(pointer: { namespace: string; type: string; id?: string }): string {
  return pointer.id === undefined
    ? `${pointer.type}(${pointer.namespace})`
    : `${pointer.type}(${pointer.namespace}/${pointer.id})`;
}

/** Makes a plain frozen pointer; `D.pointer(id)` is the typed way to get one. */
export function makePointer(namespace: string, type: string, id: string): Pointer {
  return Object.freeze({ namespace, type, id });
}

/** Extracts the `{ namespace, type, id }` identity of anything that has one (resource or pointer). */
export function pointerOf(resource: { metadata: { namespace: string; type: string; id: string } }): Pointer {
  const { namespace, type, id } = resource.metadata;
  return makePointer(namespace, type, id);
}
