import type { Draft } from 'immer';
import type { Observable } from 'rxjs';
import type { AnyResourceDefinition } from '../resource/define-resource.js';
import type { DefinitionLookup } from '../resource/definition-registry.js';
import type { Phase } from '../resource/metadata.js';
import type { Kind, Pointer } from '../resource/pointer.js';
import type { AnyResource, Resource } from '../resource/resource.js';
import type { LabelQuery } from './label-query.js';
import type { WatchEvent, WatchEventType } from './watch-event.js';

/** Filters of `list` and `watchKind`. */
export interface ListOptions {
  /** One query (terms ANDed) or several (ORed). */
  labelQuery?: LabelQuery | readonly LabelQuery[];
  /** Matched against the id. */
  idQuery?: RegExp;
}

/** Options of `create`. */
export interface CreateOptions {
  /** The owner recorded on the resource; `''` (a user) by default. */
  owner?: string;
}

/** Options of `update`. */
export interface UpdateOptions {
  /** Must equal the stored owner; `''` by default. */
  owner?: string;
  /** The phase the stored resource must be in; `'running'` by default, `'any'` accepts both. */
  expectedPhase?: Phase | 'any';
}

/** Options of `destroy` and `teardown`. */
export interface OwnerOptions {
  /** Must equal the stored owner; `''` by default. */
  owner?: string;
}

/** Options of `watch(pointer)`. */
export interface WatchOptions {
  /** Replace the initial event with up to this many most recent history events of the id. */
  tailEvents?: number;
  /** Resume strictly after this bookmark, with no initial event. */
  startFromBookmark?: string;
}

/** Options of `watchKind` and `watchKindAggregated`. */
export interface WatchKindOptions extends ListOptions {
  /** Start with `created` for every matching resource (sorted by id), then `bootstrapped`. */
  bootstrapContents?: boolean;
  /** Start with a `noop` event carrying a resumable bookmark. */
  bootstrapBookmark?: boolean;
  /** Start this many events back in the kind's history. */
  tailEvents?: number;
  /** Resume right after this bookmark. */
  startFromBookmark?: string;
}

/** One operation of a transaction. */
export type TransactionOp =
  | { readonly op: 'create'; readonly resource: AnyResource; readonly owner?: string }
  | {
      readonly op: 'update';
      readonly resource: AnyResource;
      readonly owner?: string;
      readonly expectedPhase?: Phase | 'any';
      /**
       * Refuse (`ConflictError`) unless the stored resource's `created` equals this: versions restart
       * at 1 when an id is destroyed and created again, so only `created` tells the generations apart.
       */
      readonly expectedCreated?: string;
    }
  | { readonly op: 'destroy'; readonly pointer: Pointer; readonly owner?: string };

/** The result of one transaction op: the stored resource, or `null` for a destroy. */
export type TransactionResult = AnyResource | null;

/**
 * What every backend implements: the in-memory store, etcd, or a remote API.
 *
 * @remarks Everything returned is deeply frozen; nothing passed in is mutated. Events are delivered
 * asynchronously, in one total order per (namespace, type).
 */
export interface CoreState {
  /** The stored resource; throws `NotFoundError`. */
  get<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
  ): Promise<Resource<TDef>>;
  /** Every resource of the kind that matches the options, sorted by id. */
  list<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: ListOptions,
  ): Promise<readonly Resource<TDef>[]>;
  /** Stores a new resource at version 1; throws `ConflictError` if the id exists. */
  create<TRes extends AnyResource>(resource: TRes, options?: CreateOptions): Promise<TRes>;
  /** Stores a new version; checks not-found, owner, version and phase, in that order. */
  update<TRes extends AnyResource>(resource: TRes, options?: UpdateOptions): Promise<TRes>;
  /** Removes a resource; refused while finalizers remain. */
  destroy(pointer: Pointer, options?: OwnerOptions): Promise<void>;
  /**
   * Watches one resource: its current state first, then every change.
   *
   * @example
   * ```ts
   * state.watch(Paths.pointer('a')).subscribe((e) => log.info(e.type));
   * ```
   */
  watch<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
    options?: WatchOptions,
  ): Observable<WatchEvent<TDef>>;
  /** Watches every resource of a kind; only future events unless told otherwise. */
  watchKind<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: WatchKindOptions,
  ): Observable<WatchEvent<TDef>>;
  /** As `watchKind`, in batches: the whole bootstrap as one array, then every pending batch. */
  watchKindAggregated<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    kind: Kind<TDef>,
    options?: WatchKindOptions,
  ): Observable<WatchEvent<TDef>[]>;
  /** Applies every op or none; events follow the commit, in op order. */
  transaction(ops: readonly TransactionOp[]): Promise<TransactionResult[]>;
  /**
   * Resolves once every event committed so far has been handed to every open watcher.
   * Backends that cannot know (remote ones) omit it.
   */
  delivered?(): Promise<void>;
  /** Releases connections and ends open watches (remote backends). */
  close?(): Promise<void>;
  /**
   * The definitions this store validates specs with: those given to it (`definitions` option) or,
   * by default, every `defineResource` of the process; plus those registered on it. Remote
   * backends, which validate on the server, omit it.
   */
  readonly definitions?: DefinitionLookup<AnyResourceDefinition>;
  /**
   * Adds a definition this store validates with from now on (e.g. one made at run time from a JSON
   * Schema). Registering the same definition again is a no-op; a different one for a type the store
   * already knows throws an error naming both, and nothing changes.
   */
  registerDefinition?(definition: AnyResourceDefinition): void;
}

/** Conditions of `watchFor`: every given condition must hold. */
export interface WatchForConditions<TDef extends AnyResourceDefinition = AnyResourceDefinition> {
  eventTypes?: readonly WatchEventType[];
  phases?: readonly Phase[];
  /** The resource exists and has no finalizers. */
  finalizersEmpty?: boolean;
  condition?: (resource: Resource<TDef>) => boolean | Promise<boolean>;
}

/** A draft edit of a whole resource, sync or async. */
export type ResourceRecipe<TDef extends AnyResourceDefinition> = (
  draft: Draft<Resource<TDef>>,
) => void | Promise<void>;

/** The state: the core operations plus helpers written once over them, for any backend. */
export interface State extends CoreState {
  /** get → phase check → `fn(draft)` → update unless unchanged; version conflicts retry. */
  updateWithConflicts<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
    fn: ResourceRecipe<TDef>,
    options?: UpdateOptions,
  ): Promise<Resource<TDef>>;
  /** Creates from the template if absent, else `updateWithConflicts`; unchanged results write nothing. */
  modify<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    template: Resource<TDef>,
    fn: ResourceRecipe<TDef>,
    options?: UpdateOptions,
  ): Promise<Resource<TDef>>;
  /** Moves the resource to `tearingDown`; resolves `true` when no finalizers remain. */
  teardown(pointer: Pointer, options?: OwnerOptions): Promise<boolean>;
  /** Adds finalizers (any owner, any phase); present ones are not written again. */
  addFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void>;
  /** Removes finalizers (any owner, any phase); absent ones are a no-op. */
  removeFinalizer(pointer: Pointer, ...finalizers: string[]): Promise<void>;
  /** Teardown, wait until no finalizers remain, destroy; succeeds if someone else destroyed it. */
  teardownAndDestroy(pointer: Pointer, options?: OwnerOptions): Promise<void>;
  /** The first resource (initial state included) matching every condition. */
  watchFor<TDef extends AnyResourceDefinition = AnyResourceDefinition>(
    pointer: Pointer<TDef>,
    conditions: WatchForConditions<TDef>,
    options?: { signal?: AbortSignal },
  ): Promise<Resource<TDef>>;
  /** A signal aborted when the resource is missing, enters `tearingDown`, or is destroyed. */
  signalWithTeardown(pointer: Pointer, options?: { signal?: AbortSignal }): AbortSignal;
}
