import type { Observable, Subscription } from 'rxjs';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import { createEtcdState, type EtcdStateOptions } from '../../../src/backends/etcd/index.js';
import { defineResource, type State, type WatchEvent } from '../../../src/index.js';
import {
  type EtcdServer,
  type EtcdServerOptions,
  startEtcdServer,
} from '../../../src/testing/etcd-server.js';

/** The resources the etcd tests write. */
export const Things = defineResource({
  type: 'EtcdThings.test.converge.dev',
  spec: z.object({ value: z.number(), text: z.string().default('') }),
});

let serial = 0;

/** One real etcd per test file (started before its tests, removed after), and stores on fresh prefixes. */
export function useEtcd(serverOptions: EtcdServerOptions = {}) {
  let server: EtcdServer | undefined;
  const states: State[] = [];
  beforeAll(async () => {
    server = await startEtcdServer(serverOptions);
  }, 30_000);
  afterAll(async () => {
    for (const state of states.splice(0)) await state.close?.();
    await server?.close();
  });
  return {
    get server(): EtcdServer {
      if (server === undefined) throw new Error('etcd is not running');
      return server;
    },
    /** A unique prefix, so tests never see each other's keys. */
    prefix(): string {
      return `t${process.pid}-${Date.now().toString(36)}-${serial++}`;
    },
    /** A store on a fresh prefix (or the given one), closed after the file. */
    state(options: Partial<EtcdStateOptions> = {}): State {
      const state = createEtcdState({
        endpoints: [this.server.endpoint],
        prefix: this.prefix(),
        callTimeoutMs: 3_000,
        ...options,
      });
      states.push(state);
      return state;
    },
  };
}

/** Collects what an Observable delivers and waits on it (bounded by a safety timeout). */
export class Collector<T> {
  readonly items: T[] = [];
  error: unknown;
  done = false;
  readonly #subscription: Subscription;
  #wake: (() => void) | undefined;

  constructor(observable: Observable<T>) {
    this.#subscription = observable.subscribe({
      next: (item) => {
        this.items.push(item);
        this.#wake?.();
      },
      error: (error: unknown) => {
        this.error = error;
        this.done = true;
        this.#wake?.();
      },
      complete: () => {
        this.done = true;
        this.#wake?.();
      },
    });
  }

  /** Resolves once `predicate` holds; rejects when the stream ends first or after `timeoutMs`. */
  async until(predicate: (items: readonly T[]) => boolean, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.items)) {
      if (this.done) throw new Error(`stream ended (${String(this.error)}) with ${eventsText(this.items)}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${eventsText(this.items)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.items;
  }

  /** Resolves with the error the stream ends with. */
  async failure(timeoutMs = 10_000): Promise<unknown> {
    await this.until(() => this.done, timeoutMs).catch(() => undefined);
    if (!this.done) throw new Error(`stream did not end; got ${eventsText(this.items)}`);
    return this.error;
  }

  count(n: number, timeoutMs?: number): Promise<T[]> {
    return this.until((items) => items.length >= n, timeoutMs);
  }

  stop(): void {
    this.#subscription.unsubscribe();
  }
}

/** `created a@1`-style text of events, for readable assertions. */
export function eventsText(items: readonly unknown[]): string[] {
  return items.map((item) =>
    Array.isArray(item) ? `[${eventsText(item).join(', ')}]` : show(item as WatchEvent),
  );
}

function show(e: WatchEvent): string {
  switch (e.type) {
    case 'created':
    case 'updated':
    case 'destroyed':
      return `${e.type} ${e.resource.metadata.id}@${e.resource.metadata.version}`;
    default:
      return e.type;
  }
}

/** Polls `check` until it returns true, a bounded number of times. */
export async function eventually(check: () => Promise<boolean> | boolean, attempts = 200, intervalMs = 50) {
  for (let i = 0; i < attempts; i++) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met after ${attempts} attempts`);
}
