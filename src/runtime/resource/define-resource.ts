import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { DefinitionRegistry } from './definition-registry.js';
import { emptyAnnotations, emptyFinalizers, emptyLabels } from './empty.js';
import { deepFreeze } from './freeze.js';
import type { AnyResourceDefinition, PrintColumn, Resource, ResourceDefinition } from './resource-types.js';
import { parseTypeName } from './type-name.js';

export type { AnyResourceDefinition, PrintColumn, ResourceDefinition } from './resource-types.js';

/** What `defineResource` takes. */
export interface ResourceDefinitionOptions<TType extends string, TSpec extends z.ZodType> {
  /** `PluralCamelName.lower.dotted.suffix`, e.g. `Paths.test.converge.dev`. */
  type: TType;
  /** The zod schema of the spec: the source of truth for its type. */
  spec: TSpec;
  /** Namespace used when none is given; defaults to `default`. */
  defaultNamespace?: string;
  /** Extra names that resolve to the type (automatic ones are added as COSI does). */
  aliases?: readonly string[];
  /** Turns off the automatic aliases. */
  skipAutomaticAliases?: boolean;
  /** Columns shown by table output. */
  printColumns?: readonly PrintColumn[];
  /** Sensitive specs are redacted for readers of the API. */
  sensitive?: boolean;
}

/** Every definition `defineResource` made in this process: what stores fall back to by default. */
export const definedResources = new DefinitionRegistry<AnyResourceDefinition>();
/** Lets `ValidatedMark` stamp a field onto an object it did not construct (the return-override idiom). */
class Stamped {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: stamping a private field onto `target` is the point.
    return target;
  }
}

/**
 * Marks a spec as already valid for a schema, so the store may skip validating it again. A private
 * field: invisible to JSON, `Object.keys`, symbols, spreads, clones and equality, never copied to a
 * changed copy, and (unlike `defineProperty` or a WeakMap entry) as cheap as an ordinary store.
 */
class ValidatedMark extends Stamped {
  readonly #schema: z.ZodType;

  private constructor(target: object, schema: z.ZodType) {
    super(target);
    this.#schema = schema;
  }

  /** Stamps `target` (not yet frozen) as valid for `schema`. */
  static mark(target: object, schema: z.ZodType): void {
    new ValidatedMark(target, schema);
  }

  /** The schema `value` was stamped valid for, if any. */
  static schemaOf(value: object): z.ZodType | undefined {
    return #schema in value ? (value as ValidatedMark).#schema : undefined;
  }
}

/**
 * Defines a resource type from a zod schema; the literal type name and the spec type are inferred.
 *
 * @example
 * ```ts
 * export const Paths = defineResource({
 *   type: 'Paths.test.converge.dev',
 *   spec: z.object({ value: z.number().default(0) }),
 *   printColumns: [{ name: 'Value', jsonPath: '{.value}' }],
 * });
 * const p = Paths.make('a', { value: 1 });
 * ```
 * @remarks Throws when the type name is malformed (COSI's rules: plural CamelCase name, lower-case
 * dotted suffix), or when this process already defined the type differently (the error names both).
 * The definition is registered so that manifests, the API, `get rd` and stores created without
 * their own `definitions` can resolve it.
 */
export function defineResource<const TType extends string, TSpec extends z.ZodType>(
  options: ResourceDefinitionOptions<TType, TSpec>,
): ResourceDefinition<TType, TSpec> {
  const info = parseTypeName(options.type, options.aliases ?? [], options.skipAutomaticAliases ?? false);
  const defaultNamespace = options.defaultNamespace ?? 'default';
  if (defaultNamespace === '') throw new Error(`resource type ${options.type}: empty default namespace`);
  const { type, spec } = options;

  const definition: ResourceDefinition<TType, TSpec> = {
    type,
    spec,
    defaultNamespace,
    displayType: info.displayType,
    aliases: Object.freeze([...info.aliases]),
    allAliases: Object.freeze([...info.allAliases]),
    printColumns: Object.freeze((options.printColumns ?? []).map((c) => Object.freeze({ ...c }))),
    sensitive: options.sensitive ?? false,
    make(id, input, makeOptions = {}) {
      const namespace = makeOptions.namespace ?? defaultNamespace;
      const pointer = { namespace, type, id };
      const value = validateSpec(spec, pointer, input);
      // Frozen level by level: the spec is frozen by validation, the shared empties already are.
      const resource = {
        metadata: Object.freeze({
          namespace,
          type,
          id,
          version: 0,
          owner: '',
          phase: 'running' as const,
          finalizers: makeOptions.finalizers?.length
            ? Object.freeze([...new Set(makeOptions.finalizers)])
            : emptyFinalizers,
          labels: makeOptions.labels ? Object.freeze({ ...makeOptions.labels }) : emptyLabels,
          annotations: makeOptions.annotations
            ? Object.freeze({ ...makeOptions.annotations })
            : emptyAnnotations,
          created: '',
          updated: '',
        }),
        spec: value,
      };
      return Object.freeze(resource) as Resource<ResourceDefinition<TType, TSpec>>;
    },
    pointer: (id, namespace = defaultNamespace) => Object.freeze({ namespace, type, id }),
    kind: (namespace = defaultNamespace) => Object.freeze({ namespace, type }),
  };
  Object.freeze(definition);
  definedResources.register(definition);
  return definition;
}

/** The definition of a type made by `defineResource` in this process, if any. */
export function lookupDefinition(type: string): AnyResourceDefinition | undefined {
  return definedResources.lookup(type);
}

/** Every definition made by `defineResource` in this process, sorted by type. */
export function listDefinitions(): AnyResourceDefinition[] {
  return definedResources.list();
}

/**
 * Validates a spec against a schema and returns the deep-frozen parsed value; `remember` records it
 * as valid so that passing it again skips the parse.
 * Throws {@link ValidationError} with the zod issues when it does not match.
 */
export function validateSpec(
  schema: z.ZodType,
  pointer: { namespace: string; type: string; id: string },
  input: unknown,
  remember = true,
): unknown {
  if (typeof input === 'object' && input !== null && ValidatedMark.schemaOf(input) === schema) {
    return input;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(
      pointer,
      result.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code })),
    );
  }
  let value: unknown = result.data;
  // Schemas such as z.unknown() hand back the caller's own object: copy it rather than freeze theirs.
  if (value === input && typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    value = structuredClone(value);
  }
  // The store keeps its own record (the stored spec); only values handed to callers are marked.
  if (remember && typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    ValidatedMark.mark(value, schema);
  }
  deepFreeze(value);
  return value;
}
