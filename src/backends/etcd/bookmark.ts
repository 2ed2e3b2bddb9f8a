import { createHash } from 'node:crypto';

/**
 * Bookmarks of the etcd backend: `e.<tag>.<revision>.<skip>` (base 36). A watch resumes at etcd
 * revision `revision`, skipping the first `skip` events of that revision (one etcd transaction can
 * hold several events of a kind). The tag hashes the etcd cluster id, the store prefix and the kind,
 * so a bookmark from another store or kind is refused.
 */
export interface EtcdPosition {
  /** The etcd revision to resume at. */
  readonly revision: number;
  /** Events of `revision` (in the kind, before any query filter) already delivered. */
  readonly skip: number;
}

/** The tag of one kind of one store on one etcd cluster. */
export function bookmarkTag(clusterId: string, prefix: string, namespace: string, type: string): string {
  return createHash('sha256')
    .update(`${clusterId}\0${prefix}\0${namespace}\0${type}`)
    .digest('hex')
    .slice(0, 12);
}

/** Encodes a resume position. */
export function encodeEtcdBookmark(tag: string, position: EtcdPosition): string {
  return `e.${tag}.${position.revision.toString(36)}.${position.skip.toString(36)}`;
}

/** Decodes a bookmark: its tag and position, or `undefined` when malformed. */
export function decodeEtcdBookmark(bookmark: unknown): { tag: string; position: EtcdPosition } | undefined {
  if (typeof bookmark !== 'string' || bookmark.length > 64) return undefined;
  const match = /^e\.([0-9a-f]{12})\.([0-9a-z]{1,11})\.([0-9a-z]{1,11})$/.exec(bookmark);
  if (match === null) return undefined;
  const revision = Number.parseInt(match[2]!, 36);
  const skip = Number.parseInt(match[3]!, 36);
  if (!Number.isSafeInteger(revision) || !Number.isSafeInteger(skip) || revision < 1) return undefined;
  return { tag: match[1]!, position: { revision, skip } };
}
