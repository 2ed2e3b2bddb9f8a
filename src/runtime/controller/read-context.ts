import type { Logger } from 'pino';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import type { Resource } from '../resource/resource.js';
import type { ListOptions } from '../state/state.js';

/** The reads a controller may do: declared inputs and outputs only, straight from the state. */
export interface ReadContext {
  /** The controller's name (also the owner of what it writes). */
  readonly controller: string;
  /** A pino child logger: `{ controller }`, then `{ reconcile, attempt }` (and `resource` for queue items). */
  readonly log: Logger;
  /** Aborted when the runtime stops, and for queue items when the item tears down or is destroyed. */
  readonly signal: AbortSignal;
  /** The stored resource; `NotFoundError` if absent, `AccessError` if not an input or output. */
  get<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
  ): Promise<Resource<TDef>>;
  /** The resources of a kind, sorted by id; `AccessError` unless an input of every id, or an output. */
  list<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: ListOptions,
  ): Promise<readonly Resource<TDef>[]>;
}

/** What a mapped input's `map` receives next to the resource. */
export type MapContext = ReadContext;
