import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { listDefinitions, lookupDefinition } from '../runtime/resource/define-resource.js';
import {
  definitionMatchesName,
  metaNamespace,
  ResourceDefinitions,
  resourceDefinitionResource,
} from '../runtime/resource/meta.js';
import { formatPointer } from '../runtime/resource/pointer.js';
import type { CoreState } from '../runtime/state/state.js';
import { ApiError } from './api-error.js';
import { type FollowedKind, followKind } from './follow-kind.js';
import { type Role, roleIncludes, writeRoleFor } from './roles.js';

/** Who is calling: the role and names taken from the verified client certificate. */
export interface ClientIdentity {
  readonly role: Role | undefined;
  /** The certificate's common name. */
  readonly name: string;
  /** The certificate's SHA-256 fingerprint: the key of per-client limits. */
  readonly fingerprint: string;
}

/** A resource definition as discovery shows it (the spec of a `ResourceDefinition`). */
export type DefinitionSpec = ReturnType<typeof resourceDefinitionResource>['spec'];

/**
 * What a caller may do, and which types are sensitive or known. Types come from the definitions
 * registered in this process and from the `ResourceDefinition` resources in the store's `meta`
 * namespace (kept current by a watch). Sensitivity is sticky: a type once seen sensitive stays so.
 */
export class AccessPolicy {
  readonly #state: CoreState;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #stored = new Map<string, DefinitionSpec>();
  readonly #sensitive = new Set<string>();
  #definitions: FollowedKind | undefined;
  #stopped = false;

  constructor(state: CoreState, logger: Logger, clock: Clock) {
    this.#state = state;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Starts following the stored definitions; resolves once the first snapshot arrived (or after `timeoutMs`). */
  start(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(resolve, timeoutMs);
      this.#follow(() => {
        this.#clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  #follow(ready: () => void): void {
    if (this.#stopped) return;
    this.#definitions = followKind(
      this.#state,
      ResourceDefinitions.kind(),
      (event) => {
        if (event.type === 'bootstrapped') ready();
        else if (event.type === 'created' || event.type === 'updated') this.#remember(event.resource.spec);
        else if (event.type === 'destroyed' && event.resource.spec !== null) {
          this.#stored.delete((event.resource.spec as DefinitionSpec).type);
        }
      },
      {
        clock: this.#clock,
        logger: this.#logger,
        failure: 'resource definition watch failed; following again',
      },
    );
  }

  #remember(spec: unknown): void {
    const s = spec as DefinitionSpec;
    if (typeof s?.type !== 'string') return;
    this.#stored.set(s.type, s);
    if (s.sensitivity === 'sensitive') this.#sensitive.add(s.type);
  }

  /** Stops following the stored definitions. */
  stop(): void {
    this.#stopped = true;
    this.#definitions?.stop();
  }

  /** True when readers and operators get the type's specs redacted and only admins write it. */
  isSensitive(type: string): boolean {
    return lookupDefinition(type)?.sensitive === true || this.#sensitive.has(type);
  }

  /** True when the type has a definition (registered here or stored in `meta`). */
  isKnown(type: string): boolean {
    return lookupDefinition(type) !== undefined || this.#stored.has(type);
  }

  /** Every known definition, sorted by type. */
  definitions(): DefinitionSpec[] {
    const all = new Map(this.#stored);
    for (const d of listDefinitions())
      if (!all.has(d.type)) all.set(d.type, resourceDefinitionResource(d).spec);
    return [...all.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  /** The definition a type name or alias resolves to. */
  resolve(name: string): DefinitionSpec | undefined {
    const all = this.definitions();
    return all.find((d) => d.type === name) ?? all.find((d) => definitionMatchesName(d, name));
  }

  /** Refuses (403) a caller without the reader role. */
  checkRead(identity: ClientIdentity): void {
    if (!roleIncludes(identity.role, 'reader')) {
      throw new ApiError(
        403,
        'Forbidden',
        `${describe(identity)} has no role; reading needs converge:reader`,
      );
    }
  }

  /** Refuses (403) a caller who may write nothing at all (no operator role). */
  checkWriter(identity: ClientIdentity): void {
    if (!roleIncludes(identity.role, 'operator')) {
      throw new ApiError(
        403,
        'Forbidden',
        `${describe(identity)} may not write: writing needs converge:operator`,
      );
    }
  }

  /**
   * Refuses (403) a write the caller's role does not allow, and (404) a write of an unknown type.
   * The role check comes first so that a refused caller learns nothing about types.
   */
  checkWrite(identity: ClientIdentity, pointer: { namespace: string; type: string; id?: string }): void {
    const needed = writeRoleFor(this.isSensitive(pointer.type), pointer.namespace);
    if (!roleIncludes(identity.role, needed)) {
      const why =
        pointer.namespace === metaNamespace
          ? 'the meta namespace'
          : this.isSensitive(pointer.type)
            ? 'a sensitive type'
            : 'a resource';
      throw new ApiError(
        403,
        'Forbidden',
        `${describe(identity)} may not write ${formatPointer(pointer)}: writing ${why} needs converge:${needed}`,
      );
    }
    this.checkKnown(pointer.type);
  }

  /**
   * Refuses (404) any request about a type without a definition, reads and watches included: the
   * store keeps a collection per kind it is asked about, so made-up kinds would grow its memory.
   */
  checkKnown(type: string): void {
    if (!this.isKnown(type)) {
      throw new ApiError(
        404,
        'UnknownType',
        `unknown resource type ${JSON.stringify(type.slice(0, 253))}: no resource definition is registered for it`,
      );
    }
  }
}

function describe(identity: ClientIdentity): string {
  return `client ${JSON.stringify(identity.name)} (role ${identity.role ?? 'none'})`;
}
