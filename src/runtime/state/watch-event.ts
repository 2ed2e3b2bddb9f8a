import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { Resource, Tombstone } from '../resource/resource.js';

/** A resource appeared: created, a bootstrap item, the initial state of a single watch, or it started matching a query. */
export interface CreatedEvent<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly type: 'created';
  readonly resource: Resource<TDef>;
  readonly bookmark?: string;
}

/** A resource changed; `old` is the previous stored value. */
export interface UpdatedEvent<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly type: 'updated';
  readonly resource: Resource<TDef>;
  readonly old: Resource<TDef>;
  readonly bookmark?: string;
}

/** A resource went away (its last value), stopped matching a query, or is absent (a tombstone). */
export interface DestroyedEvent<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  readonly type: 'destroyed';
  readonly resource: Resource<TDef> | Tombstone;
  readonly bookmark?: string;
}

/** The end of a bootstrap snapshot; its bookmark resumes right after the snapshot. */
export interface BootstrappedEvent {
  readonly type: 'bootstrapped';
  readonly namespace: string;
  readonly resourceType: string;
  readonly bookmark: string;
}

/** A position only: the first event of a watch opened with `bootstrapBookmark`. */
export interface NoopEvent {
  readonly type: 'noop';
  readonly bookmark: string;
}

/** Everything a watch delivers, discriminated by `type`. */
export type WatchEvent<TDef extends AnyResourceDefinition = AnyResourceDefinition> =
  | CreatedEvent<TDef>
  | UpdatedEvent<TDef>
  | DestroyedEvent<TDef>
  | BootstrappedEvent
  | NoopEvent;

/** The event types that carry a resource. */
export type ResourceEvent<TDef extends AnyResourceDefinition = AnyResourceDefinition> =
  | CreatedEvent<TDef>
  | UpdatedEvent<TDef>
  | DestroyedEvent<TDef>;

/** The `type` strings of {@link WatchEvent}. */
export type WatchEventType = WatchEvent['type'];
