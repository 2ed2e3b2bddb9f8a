import type { Observable, Subscription } from 'rxjs';
import { afterEach, beforeEach } from 'vitest';
import { z } from 'zod';
import { type AnyResource, defineResource, type Kind, type State, type WatchEvent } from '../../index.js';

/** What the state conformance suite takes besides the store factory. */
export interface StateConformanceOptions {
  /** Releases a store made by `makeState` after its test (close connections, drop a key prefix). */
  cleanup?: (state: State) => void | Promise<void>;
  /** Features a backend may lack; a lacking feature must answer `UnsupportedError`. */
  capabilities?: {
    /** `tailEvents` on `watch` and `watchKind` (default true). */
    tailEvents?: boolean;
  };
  /**
   * Set when the backend keeps a bounded in-memory history per kind: `capacity` events once the ring
   * has grown to its maximum, of which the oldest `gap` positions no longer resume. Turns on the
   * overrun, old-bookmark and tail-clamp cases, which append up to `capacity + 1` events at once as
   * one transaction of updates to a single resource.
   */
  history?: { capacity: number; gap: number };
  /** Moves the backend's clock forward; by default the suite waits for the wall clock to move. */
  tick?: () => void | Promise<void>;
  /** Safety net for waiting on events, in ms (default 4,000): a hung case fails instead of hanging. */
  eventTimeout?: number;
}

/** The items every case writes: a number, and a text with a default (zod input ≠ output). */
export const Items = defineResource({
  type: 'ConformanceItems.testing.converge.dev',
  spec: z.object({ value: z.number().int(), note: z.string().default('') }),
});

/** A second type, to check that kinds are isolated. */
export const Others = defineResource({
  type: 'ConformanceOthers.testing.converge.dev',
  spec: z.object({ name: z.string() }),
});

/** The namespace of most cases. */
export const ns = Items.defaultNamespace;
/** A second namespace, to check that namespaces are isolated. */
export const otherNs = 'conformance-other';

/** What every case reaches through: the store of the running test and ways to watch it. */
export interface SuiteContext {
  readonly options: StateConformanceOptions;
  /** The store of the running test (fresh for each test). */
  readonly state: State;
  /** Another isolated store, released after the test. */
  otherState(): Promise<State>;
  /** Subscribes and records; the subscription ends with the test. */
  record<T>(observable: Observable<T>): Recorder<T>;
  /** Lets the backend's clock move past `timestamp` (RFC 3339). */
  tickPast(timestamp: string): Promise<void>;
}

/** Registers the per-test store lifecycle and returns the context cases use. */
export function useSuiteContext(
  makeState: () => State | Promise<State>,
  options: StateConformanceOptions,
): SuiteContext {
  let current: State | undefined;
  const states: State[] = [];
  const recorders: Recorder<unknown>[] = [];
  const timeout = options.eventTimeout ?? 4_000;

  beforeEach(async () => {
    current = await makeState();
    states.push(current);
  });
  afterEach(async () => {
    for (const r of recorders.splice(0)) r.stop();
    for (const s of states.splice(0)) await options.cleanup?.(s);
    current = undefined;
  });

  return {
    options,
    get state(): State {
      if (current === undefined) throw new Error('state conformance: no store outside a test');
      return current;
    },
    async otherState() {
      const s = await makeState();
      states.push(s);
      return s;
    },
    record<T>(observable: Observable<T>): Recorder<T> {
      const r = new Recorder(observable, timeout);
      recorders.push(r as Recorder<unknown>);
      return r;
    },
    async tickPast(timestamp: string) {
      if (options.tick) {
        await options.tick();
        return;
      }
      const past = Date.parse(timestamp);
      const deadline = Date.now() + timeout;
      while (Date.now() <= past && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    },
  };
}

/**
 * Records what an Observable delivers and waits for conditions on it. Waiting is on the stream's
 * own deliveries; the timeout is only a safety net so that a hung case fails.
 */
class Recorder<T> {
  readonly items: T[] = [];
  error: unknown;
  failed = false;
  completed = false;
  /** How many items (and errors) arrived while `subscribe` was still running. */
  readonly duringSubscribe: number;
  readonly #subscription: Subscription | undefined;
  readonly #wakers = new Set<() => void>();

  constructor(
    observable: Observable<T>,
    readonly timeoutMs: number,
  ) {
    let subscribing = true;
    let sync = 0;
    const wake = () => {
      if (subscribing) sync++;
      for (const w of [...this.#wakers]) w();
    };
    try {
      this.#subscription = observable.subscribe({
        next: (item) => {
          this.items.push(item);
          wake();
        },
        error: (error: unknown) => {
          this.failed = true;
          this.error = error;
          wake();
        },
        complete: () => {
          this.completed = true;
          wake();
        },
      });
    } catch (error) {
      this.failed = true;
      this.error = error;
    }
    subscribing = false;
    this.duringSubscribe = sync;
  }

  /** Resolves with the items once `predicate` holds; rejects if the stream ends first or time runs out. */
  until(predicate: (items: readonly T[]) => boolean, what = 'the expected events'): Promise<readonly T[]> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        if (predicate(this.items)) return done(() => resolve(this.items));
        if (this.failed || this.completed) {
          const end = this.failed ? `failed with ${String(this.error)}` : 'completed';
          return done(() => reject(new Error(`stream ${end} before ${what}; got ${this.describe()}`)));
        }
      };
      const done = (settle: () => void) => {
        this.#wakers.delete(check);
        if (timer !== undefined) clearTimeout(timer);
        settle();
      };
      this.#wakers.add(check);
      timer = setTimeout(() => {
        done(() => reject(new Error(`timed out waiting for ${what}; got ${this.describe()}`)));
      }, this.timeoutMs);
      check();
    });
  }

  /** Resolves once at least `n` items arrived. */
  count(n: number): Promise<readonly T[]> {
    return this.until((items) => items.length >= n, `${n} items`);
  }

  /** Resolves once at least `n` items arrived after `mark`, with those items. */
  async countSince(mark: number, n: number): Promise<T[]> {
    await this.until((items) => items.length >= mark + n, `${n} items after item ${mark}`);
    return this.items.slice(mark);
  }

  /** Resolves with the error the stream ends with; rejects if it completes instead or time runs out. */
  failure(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.failed && !this.completed) return;
        this.#wakers.delete(check);
        clearTimeout(timer);
        if (this.failed) resolve(this.error);
        else reject(new Error(`stream completed instead of failing; got ${this.describe()}`));
      };
      const timer = setTimeout(() => {
        this.#wakers.delete(check);
        reject(new Error(`timed out waiting for the stream to fail; got ${this.describe()}`));
      }, this.timeoutMs);
      this.#wakers.add(check);
      check();
    });
  }

  /** The number of items so far, to look at what arrives after it. */
  mark(): number {
    return this.items.length;
  }

  /** Unsubscribes and wakes every waiter. */
  stop(): void {
    this.#subscription?.unsubscribe();
    for (const w of [...this.#wakers]) w();
  }

  /** The items so far in compact form, for failure messages. */
  describe(): string {
    const shown = this.items.slice(0, 40).map((i) => (Array.isArray(i) ? `[${i.map(show)}]` : show(i)));
    return `[${shown.join(', ')}${this.items.length > 40 ? ', …' : ''}]`;
  }
}

function show(item: unknown): string {
  if (typeof item === 'object' && item !== null && 'type' in item) return describeEvent(item as WatchEvent);
  return String(item);
}

/** A compact text form of an event: `created a@1`, `updated a@2`, `destroyed a@3`, `bootstrapped`, `noop`. */
export function describeEvent(event: WatchEvent): string {
  switch (event.type) {
    case 'created':
    case 'updated':
    case 'destroyed':
      return `${event.type} ${event.resource.metadata.id}@${event.resource.metadata.version}`;
    default:
      return event.type;
  }
}

/** The compact forms of a list of events. */
export function describeEvents(events: readonly WatchEvent[]): string[] {
  return events.map(describeEvent);
}

/** The error a watch ends with, whether it throws when called, when subscribed, or errors the stream. */
export async function watchFailure(ctx: SuiteContext, open: () => Observable<unknown>): Promise<unknown> {
  let observable: Observable<unknown>;
  try {
    observable = open();
  } catch (error) {
    return error;
  }
  return ctx.record(observable).failure();
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** True when a value and everything reachable from it is frozen. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}

/** A plain, unfrozen item as a caller might build it by hand (version 0, no timestamps). */
export function plainItem(
  id: string,
  value: number,
  extra: {
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  } = {},
): AnyResource {
  return {
    metadata: {
      namespace: extra.namespace ?? ns,
      type: Items.type,
      id,
      version: 0,
      owner: '',
      phase: 'running',
      finalizers: extra.finalizers ?? [],
      labels: extra.labels ?? {},
      annotations: extra.annotations ?? {},
      created: '',
      updated: '',
    },
    spec: { value, note: '' },
  };
}

/** A new version of a stored resource: the same metadata (version included) with a changed spec. */
export function withValue<TRes extends AnyResource>(resource: TRes, value: number): TRes {
  return { ...resource, spec: { ...(resource.spec as object), value } } as TRes;
}

/** The same resource at another version (to provoke a version conflict). */
export function atVersion<TRes extends AnyResource>(resource: TRes, version: number): TRes {
  return { ...resource, metadata: { ...resource.metadata, version } } as TRes;
}

/** `(id, version, value)` of resources, for comparing lists and replays. */
export function summarize(resources: readonly AnyResource[]): string[] {
  return resources.map(
    (r) => `${r.metadata.id}@${r.metadata.version}=${JSON.stringify(r.spec)}|${r.metadata.phase}`,
  );
}

/** The resources a stream of events leaves, sorted by id. */
export function replay(events: readonly WatchEvent[]): AnyResource[] {
  const byId = new Map<string, AnyResource>();
  for (const e of events) {
    if (e.type === 'created' || e.type === 'updated') byId.set(e.resource.metadata.id, e.resource);
    else if (e.type === 'destroyed') byId.delete(e.resource.metadata.id);
  }
  return [...byId.values()].sort((a, b) =>
    a.metadata.id < b.metadata.id ? -1 : a.metadata.id > b.metadata.id ? 1 : 0,
  );
}

/** The kind of the items in the main namespace. */
export const itemKind: Kind<typeof Items> = Items.kind();

/** Ways to open a watch, listed together (plain, aggregated or single). */
export function openers(...open: (() => Observable<unknown>)[]): (() => Observable<unknown>)[] {
  return open;
}
