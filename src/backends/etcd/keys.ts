import { ValidationError } from '../../runtime/errors.js';
import type { Pointer } from '../../runtime/resource/pointer.js';

/**
 * The key layout of the etcd backend: `<prefix>/<ns>/<type>/<id>`, each part URL-encoded so ids may
 * hold `/` and any unicode, and a kind's keys are exactly those under `<prefix>/<ns>/<type>/`.
 */
export class KeyLayout {
  readonly #root: string;

  constructor(prefix: string) {
    this.#root = `${checkPrefix(prefix)}/`;
  }

  /** A key that never holds a value (reading it tells the current revision). */
  rootKey(): Buffer {
    return Buffer.from(this.#root);
  }

  /** The key of one resource. */
  key(pointer: Pointer): Buffer {
    const ns = encodePart(pointer, 'namespace');
    return Buffer.from(`${this.#root}${ns}/${encodePart(pointer, 'type')}/${encodePart(pointer, 'id')}`);
  }

  /** The key prefix of a kind (every resource of one type in one namespace). */
  kindPrefix(kind: { namespace: string; type: string }): Buffer {
    return Buffer.from(`${this.#root}${encodePart(kind, 'namespace')}/${encodePart(kind, 'type')}/`);
  }

  /**
   * The key of a kind's event record, inside the kind's range so one watch sees both; `:` is never
   * the first character of an encoded id.
   */
  recordKey(kind: { namespace: string; type: string }): Buffer {
    return Buffer.concat([this.kindPrefix(kind), recordSuffix]);
  }
}

const recordSuffix = Buffer.from(':events');

/** True when a key under a kind prefix is a resource (not the kind's event record). */
export function isResourceKey(kindPrefix: Buffer, key: Buffer): boolean {
  return key.length > kindPrefix.length && key[kindPrefix.length] !== 0x3a;
}

/** The end of the range holding every key that starts with `prefix` (etcd's "prefix + 1"). */
export function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The id of a key under a kind prefix. */
export function idOfKey(kindPrefix: Buffer, key: Buffer): string {
  return decodeURIComponent(key.subarray(kindPrefix.length).toString('utf8'));
}

function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix === '' || prefix.endsWith('/')) {
    throw new TypeError(
      `etcd state: prefix must be a non-empty string that does not end with "/", got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

function encodePart(
  pointer: { namespace: string; type: string; id?: string },
  part: 'namespace' | 'type' | 'id',
): string {
  const value = pointer[part] as string;
  try {
    return encodeURIComponent(value);
  } catch {
    // encodeURIComponent refuses lone surrogates, which no etcd key (UTF-8) can hold either.
    const subject =
      pointer.id === undefined
        ? { namespace: pointer.namespace, type: pointer.type }
        : { namespace: pointer.namespace, type: pointer.type, id: pointer.id };
    throw new ValidationError(subject, [
      { path: [part], message: 'must be well-formed unicode (no lone surrogates)' },
    ]);
  }
}
