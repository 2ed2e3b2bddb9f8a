import { emptyAnnotations, emptyFinalizers, emptyLabels } from './empty.js';
import type { Tombstone } from './resource-types.js';

export type {
  AnyResource,
  MakeOptions,
  Resource,
  ResourceOf,
  SpecInputOf,
  SpecOf,
  Tombstone,
} from './resource-types.js';

/** True when `r` is a tombstone (its spec is `null`). */
export function isTombstone(r: { spec: unknown }): r is Tombstone {
  return r.spec === null;
}

/** Makes a frozen tombstone for a pointer (version 0, no timestamps). */
export function makeTombstone(pointer: { namespace: string; type: string; id: string }): Tombstone {
  return Object.freeze({
    metadata: Object.freeze({
      namespace: pointer.namespace,
      type: pointer.type,
      id: pointer.id,
      version: 0,
      owner: '',
      phase: 'running' as const,
      finalizers: emptyFinalizers,
      labels: emptyLabels,
      annotations: emptyAnnotations,
      created: '',
      updated: '',
    }),
    spec: null,
  });
}
