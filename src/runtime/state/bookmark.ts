/**
 * Bookmarks of the in-memory store: `<store cookie>.<collection serial>.<position>`, the cookie and
 * serial in base 36, the position in decimal (every event gets one, and V8 turns integers into
 * decimal strings several times faster than into any other radix).
 * The cookie rejects bookmarks from another store (or process); the serial, those of another kind.
 */
export interface DecodedBookmark {
  readonly cookie: string;
  readonly collection: number;
  readonly position: number;
}

/** Encodes the resume position (the next event to deliver). */
export function encodeBookmark(cookie: string, collection: number, position: number): string {
  return bookmarkPrefix(cookie, collection) + position;
}

/** The part of every bookmark of one collection before its position (computed once per collection). */
export function bookmarkPrefix(cookie: string, collection: number): string {
  return `${cookie}.${collection.toString(36)}.`;
}

/** Decodes a bookmark, or returns `undefined` when it is malformed. */
export function decodeBookmark(bookmark: unknown): DecodedBookmark | undefined {
  if (typeof bookmark !== 'string' || bookmark.length > 64) return undefined;
  const parts = bookmark.split('.');
  if (parts.length !== 3) return undefined;
  const [cookie, collection, position] = parts as [string, string, string];
  if (!/^[0-9a-z]+$/.test(cookie) || !/^[0-9a-z]+$/.test(collection) || !/^[0-9]+$/.test(position)) {
    return undefined;
  }
  const c = Number.parseInt(collection, 36);
  const p = Number.parseInt(position, 10);
  if (!Number.isSafeInteger(c) || !Number.isSafeInteger(p)) return undefined;
  return { cookie, collection: c, position: p };
}
