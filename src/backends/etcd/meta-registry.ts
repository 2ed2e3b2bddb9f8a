import type { IRequestOp } from 'etcd3';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import type { DefinitionLookup } from '../../runtime/resource/definition-registry.js';
import {
  metaNamespace,
  metaOwner,
  Namespaces,
  ResourceDefinitions,
  resourceDefinitionResource,
} from '../../runtime/resource/meta.js';
import { pointerOf } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import { planCreate } from '../../runtime/state/write-plan.js';
import { encodeResource } from './codec.js';
import type { CommitPlan } from './commit-plan.js';
import type { KeyLayout } from './keys.js';

/** The meta writes of one commit: nested "create if absent" transactions, and what to remember once committed. */
export interface MetaOps {
  readonly ops: IRequestOp[];
  readonly bytes: number;
  commit(): void;
}

/**
 * Registers `ResourceDefinition` and `Namespace` resources in `meta` as types and namespaces are
 * first created, as the in-memory store does; each rides in the commit's own etcd transaction as a
 * nested "create if absent", so it appears atomically with the first resource of its kind.
 */
export class MetaRegistry {
  readonly #types = new Set<string>();
  readonly #namespaces = new Set<string>();

  constructor(
    private readonly layout: KeyLayout,
    private readonly definitions: DefinitionLookup<AnyResourceDefinition>,
  ) {}

  /** A definition was registered after its type was first written: list it with the next create. */
  definitionAdded(type: string): void {
    this.#types.delete(type);
  }

  /** The meta writes a commit needs (none once this process has registered its kinds). */
  ops(plan: CommitPlan, now: string): MetaOps {
    const newTypes = new Set<string>();
    const newNamespaces = new Set<string>();
    const resources: AnyResource[] = [];
    const want = (namespace: string, type: string) => {
      if (!this.#types.has(type) && !newTypes.has(type)) {
        newTypes.add(type);
        const definition = this.definitions.lookup(type);
        if (definition !== undefined) resources.push(resourceDefinitionResource(definition));
      }
      if (!this.#namespaces.has(namespace) && !newNamespaces.has(namespace)) {
        newNamespaces.add(namespace);
        resources.push(Namespaces.make(namespace, { description: '' }));
      }
    };
    for (const kind of plan.createdKinds) want(kind.namespace, kind.type);
    if (newTypes.size === 0 && newNamespaces.size === 0) return none;
    want(metaNamespace, ResourceDefinitions.type);
    want(metaNamespace, Namespaces.type);
    const touched = new Set(plan.compares.map((s) => s.key.toString('latin1')));
    const ops: IRequestOp[] = [];
    let bytes = 0;
    for (const resource of resources) {
      const key = this.layout.key(pointerOf(resource));
      if (touched.has(key.toString('latin1'))) continue;
      const value = encodeResource(planCreate(undefined, resource, metaOwner, now, this.definitions));
      bytes += 2 * key.length + value.length + 64;
      ops.push({
        request_txn: {
          compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: 0 }],
          success: [{ request_put: { key, value } }],
        },
      });
    }
    return {
      ops,
      bytes,
      commit: () => {
        for (const type of newTypes) this.#types.add(type);
        for (const namespace of newNamespaces) this.#namespaces.add(namespace);
      },
    };
  }
}

const none: MetaOps = { ops: [], bytes: 0, commit: () => {} };
