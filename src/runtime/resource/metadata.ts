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
