import type { z } from 'zod';
import type { AnyResourceDefinition } from './define-resource.js';
import { emptyAnnotations, emptyFinalizers, emptyLabels } from './empty.js';
import type { Metadata } from './metadata.js';

/** The spec type a definition stores: the output type of its zod schema. */
export type SpecOf<TDef extends AnyResourceDefinition> = z.output<TDef['spec']>;

/** The spec type a definition accepts on `make`: the input type of its zod schema. */
export type SpecInputOf<TDef extends AnyResourceDefinition> = z.input<TDef['spec']>;

/**
 * A resource: metadata plus a spec, as a plain object. Everything the store returns is deeply frozen.
 *
 * @example
 * ```ts
 * export const Paths = defineResource({ type: 'Paths.test.converge.dev', spec: z.object({ value: z.number() }) });
 * export type Path = ResourceOf<typeof Paths>;
 * ```
 */
export interface Resource<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly metadata: Metadata<TDef['type']>;
  readonly spec: Readonly<SpecOf<TDef>>;
}

/** The resource type of a definition: `ResourceOf<typeof Paths>`. */
export type ResourceOf<TDef extends AnyResourceDefinition> = Resource<TDef>;

/** A resource of any type, as backends and generic code see it. */
export type AnyResource = Resource<AnyResourceDefinition>;

/** Options of `D.make(...)`: where the resource lives and what metadata it starts with. */
export interface MakeOptions {
  namespace?: string;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  finalizers?: readonly string[];
}

/** A stand-in for a resource that does not exist: metadata names the pointer, `spec` is `null`. */
export interface Tombstone {
  readonly metadata: Metadata;
  readonly spec: null;
}

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
