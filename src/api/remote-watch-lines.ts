import type { AnyResource } from '../runtime/resource/resource.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';
import { errorFromWire, type WireError } from './api-error.js';
import { freezeWire, StreamMemo } from './wire.js';

/** What a watch asked for that changes how its first connection's lines are read. */
export interface WatchLineOptions {
  readonly aggregated: boolean;
  /** Hold `created` events until `bootstrapped` (non-aggregated). */
  readonly bootstrapContents: boolean;
  /** Swallow the start `noop` the client added. */
  readonly internalNoop: boolean;
  /** Deliver the first event without the bookmark the server put on it. */
  readonly stripInitialBookmark: boolean;
}

/** Where the lines of one watch connection go. */
export interface WatchLineSink {
  /** Delivers an event (or an aggregated batch) to the subscriber. */
  next(value: WatchEvent | WatchEvent[]): void;
  /** Records the bookmark of what is being delivered, before it is delivered. */
  bookmark(bookmark: string): void;
  /** The server sent an error: the watch ends with it. */
  fail(error: unknown): void;
  /** False once the watch is closed (a subscriber may close it from inside `next`). */
  live(): boolean;
}

/**
 * Reads the NDJSON lines of one watch connection: restores the `old` the server leaves out, records
 * bookmarks, and on a first connection (`fresh`) holds bootstrap events until `bootstrapped`,
 * swallows the client's own start `noop` and strips the initial bookmark. Throws on a malformed line.
 */
export function watchLineReader(
  spec: WatchLineOptions,
  fresh: boolean,
  sink: WatchLineSink,
): (line: string) => void {
  // Bootstrap events are held until `bootstrapped`, so a drop mid-bootstrap restarts it cleanly.
  let held: WatchEvent[] | null = spec.bootstrapContents && fresh && !spec.aggregated ? [] : null;
  let swallowNoop = spec.internalNoop && fresh;
  let stripBookmark = spec.stripInitialBookmark && fresh;
  // Mirrors the server's memo of this connection, to restore the `old` it leaves out.
  const memo = new StreamMemo();

  const restore = (event: WatchEvent): WatchEvent => {
    if (event.type === 'updated' && event.old === undefined) {
      const old = memo.get(event.resource.metadata.id);
      if (old === undefined) throw new Error(`updated ${event.resource.metadata.id} without old`);
      (event as { old: unknown }).old = old;
    }
    const frozen = freezeWire(event);
    memo.remember(frozen as { type: string; resource?: AnyResource });
    return frozen;
  };

  const deliver = (event: WatchEvent): void => {
    if (event.type === 'noop' && swallowNoop) {
      swallowNoop = false;
      sink.bookmark(event.bookmark);
      return;
    }
    if (held !== null) {
      if (event.type !== 'bootstrapped') {
        held.push(event);
        return;
      }
      const events = held;
      held = null;
      for (const e of events) {
        if (!sink.live()) return;
        sink.next(e);
      }
    }
    const b = (event as { bookmark?: string }).bookmark;
    if (b !== undefined) sink.bookmark(b);
    if (stripBookmark) {
      stripBookmark = false;
      const { bookmark: _, ...initial } = event as WatchEvent & { bookmark?: string };
      sink.next(Object.freeze(initial) as WatchEvent);
      return;
    }
    sink.next(event);
  };

  const deliverBatch = (value: unknown[]): void => {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i] as WatchEvent);
    let batch = Object.freeze(value) as WatchEvent[];
    if (swallowNoop && batch[0]?.type === 'noop') {
      swallowNoop = false;
      sink.bookmark(batch[0].bookmark);
      batch = batch.slice(1);
    }
    for (let i = batch.length - 1; i >= 0; i--) {
      const b = (batch[i] as { bookmark?: string }).bookmark;
      if (b !== undefined) {
        sink.bookmark(b);
        break;
      }
    }
    if (batch.length > 0) sink.next(batch);
  };

  return (line) => {
    if (line === '') return;
    const value = JSON.parse(line) as unknown;
    if (Array.isArray(value)) {
      deliverBatch(value);
      return;
    }
    const event = value as WatchEvent | { type: 'heartbeat' } | { type: 'error'; error: WireError };
    if (event.type === 'heartbeat') return;
    if (event.type === 'error') {
      sink.fail(errorFromWire((event as { error: WireError }).error));
      return;
    }
    deliver(restore(event as WatchEvent));
  };
}
