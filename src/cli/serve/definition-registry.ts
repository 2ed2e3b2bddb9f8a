import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { z } from 'zod';
import { type TimerHandle, wallClock } from '../../runtime/clock.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import {
  type AnyResourceDefinition,
  defineResource,
  lookupDefinition,
  type ResourceDefinitionOptions,
} from '../../runtime/resource/define-resource.js';
import { deepEqual } from '../../runtime/resource/equality.js';
import { type JsonSchemaObject, specSchemaFromJsonSchema } from '../../runtime/resource/json-schema-spec.js';
import { metaOwner, ResourceDefinitions, resourceDefinitionResource } from '../../runtime/resource/meta.js';
import type { State } from '../../runtime/state/state.js';

/** A stored `ResourceDefinition` spec. */
type DefinitionSpec = ReturnType<typeof resourceDefinitionResource>['spec'];

/**
 * Makes a definition known to the server over `state`: its specs are validated with its schema on
 * every write. A type has one definition per process (the API looks types up there), and a state
 * made with its own definition list learns it through `registerDefinition`.
 */
export function registerDefinition(
  state: State,
  options: ResourceDefinitionOptions<string, z.ZodType>,
): AnyResourceDefinition {
  const definition = defineResource(options);
  state.registerDefinition?.(definition);
  return definition;
}

/** The options that define `definition` again (it may come from another copy of this module). */
export function optionsOf(definition: AnyResourceDefinition): ResourceDefinitionOptions<string, z.ZodType> {
  return {
    type: definition.type,
    spec: definition.spec,
    defaultNamespace: definition.defaultNamespace,
    aliases: definition.allAliases,
    skipAutomaticAliases: true,
    printColumns: definition.printColumns,
    sensitive: definition.sensitive,
  };
}

/**
 * Stores the `ResourceDefinition` of a type defined in code (owned by `meta`), so that `get rd` and
 * aliases show it before any resource of it exists; a stale one left by an older server is updated.
 */
export async function publishDefinition(state: State, definition: AnyResourceDefinition): Promise<void> {
  const wanted = resourceDefinitionResource(definition);
  const ptr = ResourceDefinitions.pointer(wanted.metadata.id);
  const current = await undefinedIfNotFound(state.get(ptr));
  if (current === undefined) {
    await state.create(wanted, { owner: metaOwner });
  } else if (current.metadata.owner === metaOwner && !deepEqual(current.spec, wanted.spec)) {
    await state.update({ ...current, spec: wanted.spec }, { owner: metaOwner });
  }
}

/** Types added at run time, kept current with the `ResourceDefinitions` in the store. */
export interface StoredDefinitions {
  /** Resolves once the definitions stored at start are registered. */
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * Follows the `ResourceDefinitions` in the store and registers each one that carries a JSON Schema
 * (`spec.schema`) as a validated type, so a team adds or changes types without restarting the
 * server. A type defined in code keeps its code schema. A failed watch is followed again.
 */
export function followStoredDefinitions(
  state: State,
  codeTypes: ReadonlySet<string>,
  logger: Logger,
): StoredDefinitions {
  let subscription: Subscription | undefined;
  let stopped = false;
  let retry: TimerHandle | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const registered = new Set<string>();
  const apply = (spec: DefinitionSpec) => {
    if (spec.schema === undefined) return;
    if (
      codeTypes.has(spec.type) ||
      (lookupDefinition(spec.type) !== undefined && !registered.has(spec.type))
    ) {
      logger.warn({ type: spec.type }, 'a stored JSON Schema for a type defined in code is ignored');
      return;
    }
    try {
      registerDefinition(state, {
        type: spec.type,
        spec: specSchemaFromJsonSchema(spec.schema as JsonSchemaObject),
        defaultNamespace: spec.defaultNamespace,
        aliases: spec.allAliases,
        skipAutomaticAliases: true,
        printColumns: spec.printColumns,
        sensitive: spec.sensitivity === 'sensitive',
      });
      registered.add(spec.type);
      logger.info({ type: spec.type }, 'registered a type from its stored JSON Schema');
    } catch (error) {
      logger.error({ err: error, type: spec.type }, 'cannot register a stored resource definition');
    }
  };
  const follow = (attempt: number) => {
    if (stopped) return;
    subscription = state.watchKind(ResourceDefinitions.kind(), { bootstrapContents: true }).subscribe({
      next: (event) => {
        if (event.type === 'bootstrapped') markReady();
        else if (event.type === 'created' || event.type === 'updated') {
          apply(event.resource.spec as DefinitionSpec);
        }
      },
      error: (error: unknown) => {
        logger.warn({ err: error }, 'resource definition watch failed; following again');
        retry = wallClock.setTimeout(() => follow(attempt + 1), Math.min(5_000, 100 * 2 ** attempt));
      },
    });
  };
  follow(0);
  return {
    ready,
    stop() {
      stopped = true;
      subscription?.unsubscribe();
      if (retry !== undefined) wallClock.clearTimeout(retry);
    },
  };
}
