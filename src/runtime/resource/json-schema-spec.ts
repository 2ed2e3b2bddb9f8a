import { z } from 'zod';

/** A JSON Schema document as a `ResourceDefinition` carries it (an object at the top). */
export type JsonSchemaObject = Readonly<Record<string, unknown>>;

/**
 * Objects that list `properties` and say nothing of `additionalProperties` refuse unknown fields, as
 * kubectl's strict validation does: a typo such as `replicsa: 3` is an error, never silently dropped.
 */
function strictObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties`, `$defs` and `definitions` map names to schemas; `enum`, `const`, `default` and
    // `examples` hold data, never schemas.
    if (key === 'properties' || key === '$defs' || key === 'definitions' || key === 'patternProperties') {
      out[key] =
        value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictObjects(v)]))
          : value;
    } else if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') {
      out[key] = value;
    } else {
      out[key] = strictObjects(value);
    }
  }
  if (out.properties !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The zod schema of a spec given as JSON Schema (draft 2020-12, draft 7 or 4): types added at run
 * time are validated as strictly as types defined in code. Throws an `Error` naming the problem
 * when the JSON Schema cannot be used.
 */
export function specSchemaFromJsonSchema(schema: JsonSchemaObject): z.ZodType {
  return z.fromJSONSchema(strictObjects(schema) as Parameters<typeof z.fromJSONSchema>[0]);
}
