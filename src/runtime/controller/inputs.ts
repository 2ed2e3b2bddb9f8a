import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { Pointer } from '../resource/pointer.js';
import type { Resource } from '../resource/resource.js';
import type { MapContext } from './read-context.js';

/** How a full-reconcile controller depends on a kind. */
export type InputKind = 'weak' | 'strong' | 'destroyReady';

/** How a queue controller depends on a kind. */
export type QInputKind = 'primary' | 'mapped' | 'mappedDestroyReady';

/** How a controller writes a type. */
export type OutputKind = 'exclusive' | 'shared';

/** Where an input looks: a namespace (default: the definition's) and optionally one id. */
export interface InputOptions {
  namespace?: string;
  id?: string;
}

/** An input of a full-reconcile controller, made by `input.weak|strong|destroyReady`. */
export interface ControllerInput<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly kind: InputKind;
  readonly definition: TDef;
  readonly namespace: string;
  readonly type: TDef['type'];
  readonly id?: string;
}

/**
 * Maps a changed resource of a mapped input to the primary items to reconcile (sync or async).
 * A destroyed resource arrives as its last value.
 */
export type MapInput<TDef extends AnyResourceDefinition = AnyResourceDefinition> = {
  // Method syntax keeps the parameter bivariant, so a typed map fits the erased input lists.
  map(resource: Resource<TDef>, ctx: MapContext): MapResult | Promise<MapResult>;
}['map'];

/** What a {@link MapInput} returns: pointers of primary inputs, one pointer, or nothing. */
export type MapResult = readonly Pointer[] | Pointer | null | undefined;

/** An input of a queue controller, made by `input.primary|mapped|mappedDestroyReady`. */
export interface QControllerInput<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly kind: QInputKind;
  readonly definition: TDef;
  readonly namespace: string;
  readonly type: TDef['type'];
  readonly id?: string;
  /** Present on mapped inputs. */
  readonly map?: MapInput<TDef>;
}

/** Any input, as the runtime sees it. */
export type AnyInput = ControllerInput | QControllerInput;

/** An output, made by `output.exclusive|shared`; outputs are keyed by type, in any namespace. */
export interface ControllerOutput<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly kind: OutputKind;
  readonly definition: TDef;
  readonly type: TDef['type'];
}

function makeInput<TDef extends AnyResourceDefinition, TKind extends InputKind | QInputKind>(
  kind: TKind,
  definition: TDef,
  options: InputOptions | undefined,
  map?: MapInput<TDef>,
) {
  const declared: {
    kind: TKind;
    definition: TDef;
    namespace: string;
    type: TDef['type'];
    id?: string;
    map?: MapInput<TDef>;
  } = {
    kind,
    definition,
    namespace: options?.namespace ?? definition?.defaultNamespace,
    type: definition?.type,
  };
  if (options?.id !== undefined) declared.id = options.id;
  if (map !== undefined) declared.map = map;
  return Object.freeze(declared);
}

/**
 * Input declarations. Full-reconcile controllers take `weak` (wake on change, read), `strong` (as
 * weak, and may add or remove finalizers) and `destroyReady` (wake only when a resource is tearing
 * down with no finalizers left); queue controllers take `primary`, `mapped` and `mappedDestroyReady`.
 *
 * @example
 * ```ts
 * inputs: [input.strong(Ints), input.destroyReady(Strs), input.weak(Links, { namespace: 'network' })]
 * ```
 */
export const input = {
  /** Wake on any change of the kind; read access. */
  weak: <TDef extends AnyResourceDefinition>(definition: TDef, options?: InputOptions) =>
    makeInput('weak', definition, options) as ControllerInput<TDef>,
  /** As weak, and the controller may add and remove finalizers on these resources. */
  strong: <TDef extends AnyResourceDefinition>(definition: TDef, options?: InputOptions) =>
    makeInput('strong', definition, options) as ControllerInput<TDef>,
  /** Wake only when a resource is tearing down with no finalizers left; read access. */
  destroyReady: <TDef extends AnyResourceDefinition>(definition: TDef, options?: InputOptions) =>
    makeInput('destroyReady', definition, options) as ControllerInput<TDef>,
  /** Queue controllers: every changed resource becomes an item; read and finalizer access. */
  primary: <TDef extends AnyResourceDefinition>(definition: TDef, options?: InputOptions) =>
    makeInput('primary', definition, options) as QControllerInput<TDef>,
  /** Queue controllers: every changed resource is mapped to primary items; read and finalizer access. */
  mapped: <TDef extends AnyResourceDefinition>(
    definition: TDef,
    map: MapInput<TDef>,
    options?: InputOptions,
  ) => makeInput('mapped', definition, options, map) as QControllerInput<TDef>,
  /** Queue controllers: as mapped, only for resources tearing down with no finalizers left. */
  mappedDestroyReady: <TDef extends AnyResourceDefinition>(
    definition: TDef,
    map: MapInput<TDef>,
    options?: InputOptions,
  ) => makeInput('mappedDestroyReady', definition, options, map) as QControllerInput<TDef>,
};

/** Output declarations: `exclusive` (the only writer of the type) or `shared` (each writes its own). */
export const output = {
  /** Only this controller writes the type; registering a second writer fails. */
  exclusive: <TDef extends AnyResourceDefinition>(definition: TDef): ControllerOutput<TDef> =>
    Object.freeze({ kind: 'exclusive' as const, definition, type: definition?.type }),
  /** Several controllers write the type; each touches only the instances it owns. */
  shared: <TDef extends AnyResourceDefinition>(definition: TDef): ControllerOutput<TDef> =>
    Object.freeze({ kind: 'shared' as const, definition, type: definition?.type }),
};

/** The `namespace\0type` key of a kind. @internal */
export function kindKey(namespace: string, type: string): string {
  return `${namespace}\0${type}`;
}

/** True when a resource is tearing down with no finalizers left. @internal */
export function isDestroyReady(resource: {
  metadata: { phase: string; finalizers: readonly string[] };
}): boolean {
  return resource.metadata.phase === 'tearingDown' && resource.metadata.finalizers.length === 0;
}
