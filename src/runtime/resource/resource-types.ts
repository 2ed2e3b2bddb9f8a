import type { z } from 'zod';
import type { Metadata } from './metadata.js';

/*
 * The types of the resource model that refer to each other (a definition makes resources, pointers
 * and kinds, which are typed by their definition), kept in one module so that the modules with
 * the functions import them without importing each other. Each is re-exported where it belongs.
 */

/** A column `converge get` prints for a type: a header and a `{.path}` into the spec. */
export interface PrintColumn {
  readonly name: string;
  readonly jsonPath: string;
}

/** A resource type: its name, schema and the typed constructors of its resources, pointers and kinds. */
export interface ResourceDefinition<TType extends string = string, TSpec extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly spec: TSpec;
  readonly defaultNamespace: string;
  /** The singular name (`Path`). */
  readonly displayType: string;
  readonly aliases: readonly string[];
  readonly allAliases: readonly string[];
  readonly printColumns: readonly PrintColumn[];
  readonly sensitive: boolean;
  /** A new unsaved resource (version 0, phase running, owner ''); the spec is validated. */
  make(id: string, spec: z.input<TSpec>, options?: MakeOptions): Resource<ResourceDefinition<TType, TSpec>>;
  /** A typed pointer to one resource of this type. */
  pointer(id: string, namespace?: string): Pointer<ResourceDefinition<TType, TSpec>>;
  /** A typed kind: every resource of this type in one namespace. */
  kind(namespace?: string): Kind<ResourceDefinition<TType, TSpec>>;
}

/** A definition of any type, as generic code sees it. */
// biome-ignore lint/suspicious/noExplicitAny: the erased form must accept every schema's input type.
export type AnyResourceDefinition = ResourceDefinition<string, any>;

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
