import type { IKeyValue } from 'etcd3';

/**
 * Every generation of an id gets its own `created`, across processes: six digits below the
 * millisecond carry the etcd revision of the transaction that made the generation (its last five
 * decimal digits) and the generation's place among the creates of that id in that transaction
 * (one digit). Two generations of an id in one millisecond of the writers' clocks differ there,
 * whichever process made them; they would coincide only 100,000 revisions apart within one
 * millisecond, or ten generations of one id in one transaction. Nine fractional digits keep
 * `created` an RFC 3339 timestamp that `Date.parse` reads at its millisecond.
 *
 * The revision is not known before the write, so a create stores the clock reading (a later create
 * of the id in the same transaction adds its place as a fourth digit), and readers complete it from
 * the key: a first create's revision is the key's create revision; a later one's, the revision of
 * the write that stored it, which is the key's mod revision until an update stores the completed
 * value. @internal
 */

/** The revisions of a stored value that complete its `created`. @internal */
export interface StoredRevisions {
  /** The key's create revision. */
  readonly create: number;
  /** The revision of the write that stored this value. */
  readonly mod: number;
}

/** A timestamp's millisecond part, then any digits below it. */
const fraction = /^(.*\.\d{3})(\d*)Z$/;

/** The revisions of a key-value etcd returned. @internal */
export function revisionsOf(kv: IKeyValue): StoredRevisions {
  return { create: Number(kv.create_revision), mod: Number(kv.mod_revision) };
}

/** The revisions of a value written by the transaction at `revision`. @internal */
export function writtenAt(revision: number): StoredRevisions {
  return { create: revision, mod: revision };
}

/** `created` as stored, completed with its generation's digits (already complete: unchanged). @internal */
export function completeCreated(created: string, revisions: StoredRevisions): string {
  const m = fraction.exec(created);
  if (m === null) return created;
  const below = m[2]!;
  if (below.length === 0) return `${m[1]}${pad(revisions.create)}0Z`;
  if (below.length === 1) return `${m[1]}${pad(revisions.mod)}${below}Z`;
  return created;
}

/** The stored `created` of the `place`-th create (0 = the first) of an id in one transaction at `now`. @internal */
export function createdInTransaction(now: string, place: number): string {
  if (place === 0) return now;
  const m = fraction.exec(now);
  return m === null || m[2] !== '' ? now : `${m[1]}${place % 10}Z`;
}

function pad(revision: number): string {
  return String(revision % 100_000).padStart(5, '0');
}
