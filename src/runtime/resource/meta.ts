import { z } from 'zod';
import { type AnyResourceDefinition, defineResource } from './define-resource.js';
import { specSchemaFromJsonSchema } from './json-schema-spec.js';
import { parseTypeName } from './type-name.js';

/** The namespace that holds resource definitions and namespaces. */
export const metaNamespace = 'meta';
/** The owner of meta resources the store registers itself. */
export const metaOwner = 'meta';

/** Resource definitions as resources (`get rd`): one per type, id = the lower-cased type. */
export const ResourceDefinitions = defineResource({
  type: 'ResourceDefinitions.meta.cosi.dev',
  defaultNamespace: metaNamespace,
  aliases: ['api-resources'],
  printColumns: [{ name: 'Aliases', jsonPath: '{.aliases}' }],
  spec: z
    .object({
      type: z.string(),
      /** Derived from the type (with `allAliases`) when a user leaves it out. */
      displayType: z.string().default(''),
      defaultNamespace: z.string().default('default'),
      aliases: z.array(z.string()).default([]),
      allAliases: z.array(z.string()).default([]),
      printColumns: z.array(z.object({ name: z.string(), jsonPath: z.string() })).default([]),
      sensitivity: z.enum(['', 'sensitive']).default(''),
      /** The spec's JSON Schema, for a type added at run time (`converge serve` validates with it). */
      schema: z.record(z.string(), z.unknown()).optional(),
    })
    .transform((s, ctx) => {
      if (s.schema !== undefined) {
        try {
          specSchemaFromJsonSchema(s.schema);
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            path: ['schema'],
            message: `not a usable JSON Schema: ${(error as Error).message}`,
          });
        }
      }
      if (s.displayType !== '') return s;
      try {
        const info = parseTypeName(s.type, s.aliases);
        return { ...s, displayType: info.displayType, allAliases: [...info.allAliases] };
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['type'], message: (error as Error).message });
        return z.NEVER;
      }
    }),
});

/** Namespaces as resources (`get ns`). */
export const Namespaces = defineResource({
  type: 'Namespaces.meta.cosi.dev',
  defaultNamespace: metaNamespace,
  aliases: ['ns'],
  spec: z.object({ description: z.string().default('') }),
});

/** The `ResourceDefinition` resource describing a definition. */
export function resourceDefinitionResource(definition: AnyResourceDefinition) {
  return ResourceDefinitions.make(definition.type.toLowerCase(), {
    type: definition.type,
    displayType: definition.displayType,
    defaultNamespace: definition.defaultNamespace,
    aliases: [...definition.aliases],
    allAliases: [...definition.allAliases],
    printColumns: definition.printColumns.map((c) => ({ ...c })),
    sensitivity: definition.sensitive ? 'sensitive' : '',
  });
}

/** True when `name` is the type, its RD id, or one of its aliases (case-insensitive). */
export function definitionMatchesName(
  spec: { type: string; allAliases: readonly string[] },
  name: string,
): boolean {
  const lower = name.toLowerCase();
  return spec.type === name || spec.type.toLowerCase() === lower || spec.allAliases.includes(lower);
}
