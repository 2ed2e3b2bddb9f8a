// The parts of zod 4's internals the schema walkers read.

/** The internals the walker reads; zod 4 keeps them under `_zod.def`. */
export interface ZodInternals {
  readonly def: {
    readonly type: string;
    readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  } & Record<string, unknown>;
  readonly values?: ReadonlySet<unknown>;
  readonly pattern?: RegExp;
  readonly optin?: 'optional' | 'defaulted';
}

/** One check of a schema, as zod 4 stores it. */
export type CheckDef = { readonly check: string } & Record<string, unknown>;

/** A schema as the walker sees it. */
export type AnySchema = { readonly _zod: ZodInternals; safeParse(value: unknown): { success: boolean } };
