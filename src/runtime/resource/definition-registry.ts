import { z } from 'zod';
import { deepEqual } from './equality.js';

/** What a registry keeps of a resource definition (every `defineResource` result is one). */
export interface RegisteredDefinition {
  readonly type: string;
  readonly spec: z.ZodType;
  readonly defaultNamespace: string;
  readonly allAliases: readonly string[];
  readonly printColumns: readonly { readonly name: string; readonly jsonPath: string }[];
  readonly sensitive: boolean;
}

/** The definitions a store validates with, read-only. */
export interface DefinitionLookup<TDef extends RegisteredDefinition = RegisteredDefinition> {
  /** The definition of `type`, if one is known. */
  lookup(type: string): TDef | undefined;
  /** Every known definition, sorted by type. */
  list(): TDef[];
}

/**
 * Resource definitions by type. A type has one definition: registering another one that differs
 * (schema, default namespace, aliases, columns or sensitivity) throws an error naming both, while
 * registering the same or an equal one again is a no-op. A registry may read through to a
 * `fallback` (the definitions made by `defineResource` in this process) for types it lacks.
 */
export class DefinitionRegistry<TDef extends RegisteredDefinition = RegisteredDefinition>
  implements DefinitionLookup<TDef>
{
  readonly #own = new Map<string, { definition: TDef; site: string }>();
  readonly #fallback: DefinitionRegistry<TDef> | undefined;

  constructor(definitions: Iterable<TDef> = [], fallback?: DefinitionRegistry<TDef>) {
    this.#fallback = fallback;
    for (const definition of definitions) this.register(definition);
  }

  /** Adds a definition; throws when the type already has a different one (here or in the fallback). */
  register(definition: TDef, site = definitionSite()): void {
    const known = this.#entry(definition.type);
    if (known !== undefined) {
      if (known.definition === definition || sameDefinition(known.definition, definition)) {
        if (!this.#own.has(definition.type)) this.#own.set(definition.type, known);
        return;
      }
      throw new Error(
        `resource type ${definition.type} is defined twice with different definitions: ` +
          `first ${describe(known.definition)} (${known.site}), then ${describe(definition)} (${site})`,
      );
    }
    this.#own.set(definition.type, { definition, site });
  }

  lookup(type: string): TDef | undefined {
    return this.#own.get(type)?.definition ?? this.#fallback?.lookup(type);
  }

  list(): TDef[] {
    const all = new Map<string, TDef>();
    for (const d of this.#fallback?.list() ?? []) all.set(d.type, d);
    for (const [type, { definition }] of this.#own) all.set(type, definition);
    return [...all.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  #entry(type: string): { definition: TDef; site: string } | undefined {
    const own = this.#own.get(type);
    if (own !== undefined || this.#fallback === undefined) return own;
    return this.#fallback.#entry(type);
  }
}

/** Two definitions of a type agree: equal JSON Schemas of the spec and equal settings. */
function sameDefinition(a: RegisteredDefinition, b: RegisteredDefinition): boolean {
  if (
    a.defaultNamespace !== b.defaultNamespace ||
    a.sensitive !== b.sensitive ||
    !deepEqual(a.allAliases, b.allAliases) ||
    !deepEqual(a.printColumns, b.printColumns)
  ) {
    return false;
  }
  if (a.spec === b.spec) return true;
  const left = jsonSchemaOf(a.spec);
  return left !== undefined && deepEqual(left, jsonSchemaOf(b.spec));
}

function jsonSchemaOf(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' });
  } catch {
    // A schema JSON Schema cannot describe (a transform, a custom check) only equals itself.
    return undefined;
  }
}

function describe(definition: RegisteredDefinition): string {
  const { $schema: _, ...schema } = (jsonSchemaOf(definition.spec) ?? {}) as Record<string, unknown>;
  return `with spec ${Object.keys(schema).length === 0 ? '(not expressible as JSON Schema)' : JSON.stringify(schema)} in namespace ${definition.defaultNamespace}`;
}

/** Where the caller of `defineResource` or `register` is, for the error that names both definitions. */
function definitionSite(): string {
  const lines = new Error().stack?.split('\n').slice(1) ?? [];
  const outside = lines.find(
    (l) =>
      !/(src|dist)[\\/](runtime[\\/]resource[\\/]defin|runtime[\\/]state[\\/]|backends[\\/]etcd[\\/])|node:internal/.test(
        l,
      ),
  );
  return outside?.trim().replace(/^at /, 'at ') ?? 'at an unknown place';
}
