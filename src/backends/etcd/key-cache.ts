import type { AnyResource } from '../../runtime/resource/resource.js';

/** What the store last saw of a key: its value and etcd mod_revision (0 when absent). */
export interface CachedKey {
  readonly modRevision: number;
  readonly resource: AnyResource | undefined;
}

/**
 * The last seen state of recently read or written keys, bounded (oldest dropped first). Writes
 * start from it as a guess that etcd's compare-and-swap confirms, saving a read per write.
 */
export class KeyCache {
  readonly #entries = new Map<string, CachedKey>();

  constructor(private readonly limit = 10_000) {}

  /** The cache name of a key. */
  static nameOf(key: Buffer): string {
    return key.toString('latin1');
  }

  /** The last seen state of a key, by its cache name. */
  get(name: string): CachedKey | undefined {
    return this.#entries.get(name);
  }

  /** Records what etcd said a key holds (`undefined` and 0 when absent). */
  remember(key: Buffer, modRevision: number, resource: AnyResource | undefined): void {
    const name = KeyCache.nameOf(key);
    this.#entries.delete(name);
    this.#entries.set(name, { modRevision, resource });
    if (this.#entries.size > this.limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Drops a key whose cached state proved stale. */
  forget(name: string): void {
    this.#entries.delete(name);
  }
}
