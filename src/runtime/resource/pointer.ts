import type { Pointer } from './resource-types.js';

export type { Kind, Pointer } from './resource-types.js';

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
