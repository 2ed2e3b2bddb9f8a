import type { z } from 'zod';
import type { ValidationIssue } from '../runtime/errors.js';

/**
 * Fields of a request's spec that its schema does not know. Zod objects strip unknown keys, so
 * `replicsa: 3` would be dropped silently; the API refuses them with their path instead, as
 * kubectl's strict validation does, without changing what `make` accepts for library users.
 */

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly items?: readonly z.ZodType[];
  readonly rest?: z.ZodType | null;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
  readonly getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The spec's unknown fields under `schema`, each an issue with its path (at most `max`). */
export function unknownFields(schema: z.ZodType, value: unknown, max = 100): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: [z.ZodType, unknown, PropertyKey[]][] = [[schema, value, []]];
  while (stack.length > 0 && issues.length < max) {
    const [s, v, path] = stack.pop()!;
    const def = defOf(s);
    switch (def.type) {
      case 'object': {
        if (!isPlainObject(v) || def.shape === undefined) break;
        const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
        for (const [key, child] of Object.entries(v)) {
          const field = def.shape[key];
          if (field !== undefined) stack.push([field, child, [...path, key]]);
          else if (open) stack.push([def.catchall!, child, [...path, key]]);
          else issues.push({ path: [...path, key], message: 'unknown field', code: 'unrecognized_keys' });
        }
        break;
      }
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        if (def.innerType !== undefined) stack.push([def.innerType, v, path]);
        break;
      case 'array':
        if (Array.isArray(v) && def.element !== undefined) {
          for (let i = 0; i < v.length; i++) stack.push([def.element, v[i], [...path, i]]);
        }
        break;
      case 'record':
        if (isPlainObject(v) && def.valueType !== undefined) {
          for (const [key, child] of Object.entries(v)) stack.push([def.valueType, child, [...path, key]]);
        }
        break;
      case 'tuple':
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            const t = def.items?.[i] ?? def.rest ?? undefined;
            if (t) stack.push([t, v[i], [...path, i]]);
          }
        }
        break;
      case 'union': {
        // The first option the value satisfies is the one its fields are checked against.
        const option = def.options?.find((o) => o.safeParse(v).success);
        if (option !== undefined) stack.push([option, v, path]);
        break;
      }
      case 'pipe':
        if (def.in !== undefined) stack.push([def.in, v, path]);
        break;
      case 'lazy':
        if (def.getter !== undefined) stack.push([def.getter(), v, path]);
        break;
      default:
        break;
    }
  }
  return issues;
}
