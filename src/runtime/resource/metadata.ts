/** The lifecycle phase of a resource: `tearingDown` is entered by `teardown` and never left. */
export type Phase = 'running' | 'tearingDown';

/** Resource metadata, exactly the fields of the contract (§1); the store sets version, owner and timestamps. */
export interface Metadata<TType extends string = string> {
  readonly namespace: string;
  readonly type: TType;
  readonly id: string;
  /** `0` = never stored, `1` after create, +1 on every stored change. */
  readonly version: number;
  /** The controller that owns the resource, or `''` for a user. */
  readonly owner: string;
  readonly phase: Phase;
  /** A set: order does not matter for equality. */
  readonly finalizers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339, set by the store on create and preserved by updates. */
  readonly created: string;
  /** RFC 3339, set by the store on every stored change. */
  readonly updated: string;
}

/** The order COSI prints metadata keys in (YAML and tables). */
export const metadataKeyOrder = [
  'namespace',
  'type',
  'id',
  'version',
  'owner',
  'phase',
  'created',
  'updated',
  'labels',
  'annotations',
  'finalizers',
] as const satisfies readonly (keyof Metadata)[];

/** The fields {@link metadataWith} may replace. */
export type MetadataChanges = Partial<Pick<Metadata, 'finalizers' | 'labels' | 'annotations' | 'phase'>>;

/**
 * A copy of `m` with some fields replaced, built as one object literal: an object spread of frozen
 * metadata costs several times more, and this runs once per input per generic-controller write.
 * @internal
 */
export function metadataWith(m: Metadata, changes: MetadataChanges): Metadata {
  return {
    namespace: m.namespace,
    type: m.type,
    id: m.id,
    version: m.version,
    owner: m.owner,
    phase: changes.phase ?? m.phase,
    finalizers: changes.finalizers ?? m.finalizers,
    labels: changes.labels ?? m.labels,
    annotations: changes.annotations ?? m.annotations,
    created: m.created,
    updated: m.updated,
  };
}

/** Frozen one-element finalizer lists by name: most held inputs carry exactly one, shared by all. */
const singleFinalizers = new Map<string, readonly string[]>();

/**
 * `finalizers` plus `finalizer`, frozen so the store keeps the array instead of copying it; the
 * common one-element list is shared rather than allocated per resource. @internal
 */
export function withFinalizer(finalizers: readonly string[], finalizer: string): readonly string[] {
  if (finalizers.length > 0) return Object.freeze([...finalizers, finalizer]);
  let single = singleFinalizers.get(finalizer);
  if (single === undefined) {
    single = Object.freeze([finalizer]);
    // Finalizers are controller names: a handful. The cap only guards against a generator of names.
    if (singleFinalizers.size < 4096) singleFinalizers.set(finalizer, single);
  }
  return single;
}
