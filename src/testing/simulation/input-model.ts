import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { Phase } from '../../runtime/resource/metadata.js';
import type { Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource, Resource } from '../../runtime/resource/resource.js';

/** What the user asked for about one resource, as the commands went. */
export interface ModelEntry {
  readonly definition: AnyResourceDefinition;
  readonly pointer: Pointer;
  /** The resource as the user last made it (spec as stored: the schema's output). */
  made: AnyResource;
  phase: Phase;
  /** The user's own finalizers on it. */
  readonly finalizers: Set<string>;
  /** A destroy was asked for: it goes once the finalizers are gone. */
  destroying: boolean;
}

/**
 * The model of user commands: the inputs the user wants, far simpler than the system. After the run
 * settles, `list(D)` is what must exist: resources being destroyed are gone unless a user finalizer
 * still holds them.
 */
export class InputModel {
  readonly #entries = new Map<string, ModelEntry>();

  /** The entry of a pointer, if the user ever created it and it is not known to be gone. */
  get(pointer: Pointer): ModelEntry | undefined {
    // Asked for every generated command's precondition: a cheap key, not formatPointer.
    return this.#entries.get(`${pointer.type}\0${pointer.namespace}\0${pointer.id}`);
  }

  /** Records a created resource. */
  created(definition: AnyResourceDefinition, made: AnyResource): void {
    const { namespace, type, id } = made.metadata;
    const pointer = { namespace, type, id };
    this.#entries.set(`${type}\0${namespace}\0${id}`, {
      definition,
      pointer,
      made,
      phase: 'running',
      finalizers: new Set(),
      destroying: false,
    });
  }

  /** Forgets a resource whose destroy completed. */
  forget(pointer: Pointer): void {
    this.#entries.delete(`${pointer.type}\0${pointer.namespace}\0${pointer.id}`);
  }

  /** Every entry, in insertion order. */
  entries(): ModelEntry[] {
    return [...this.#entries.values()];
  }

  /** True when the resource will exist once everything settles. */
  static remains(entry: ModelEntry): boolean {
    return !(entry.destroying && entry.finalizers.size === 0);
  }

  /**
   * The user's resources of a definition that must exist after settling, as resources (spec, phase,
   * user finalizers; versions and owners are the store's business), sorted by id.
   */
  list<TDef extends AnyResourceDefinition>(definition: TDef, namespace?: string): Resource<TDef>[] {
    const ns = namespace ?? definition.defaultNamespace;
    return this.entries()
      .filter(
        (e) => e.definition.type === definition.type && e.pointer.namespace === ns && InputModel.remains(e),
      )
      .sort((a, b) => (a.pointer.id < b.pointer.id ? -1 : a.pointer.id > b.pointer.id ? 1 : 0))
      .map(
        (e) =>
          ({
            metadata: { ...e.made.metadata, phase: e.phase, finalizers: [...e.finalizers] },
            spec: e.made.spec,
          }) as Resource<TDef>,
      );
  }

  /** The user finalizers that any command used (they may remain after settling). */
  userFinalizers(): Set<string> {
    const out = new Set<string>();
    for (const e of this.#entries.values()) for (const f of e.finalizers) out.add(f);
    return out;
  }
}
