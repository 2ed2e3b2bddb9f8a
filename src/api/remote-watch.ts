import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';
import { ApiError, errorFromWire, isApiError, type WireError } from './api-error.js';
import { type ApiTransport, errorOfResponse, type Query, unreachable, withQuery } from './http-client.js';
import { freezeWire, StreamMemo } from './wire.js';

/** How remote watches survive dropped connections. */
export interface WatchRetryOptions {
  /** First reconnection delay (default 50 ms); it doubles on every failure. */
  minBackoffMs?: number;
  /** Longest reconnection delay (default 5 s). */
  maxBackoffMs?: number;
  /** A stream that delivers nothing, not even a heartbeat, for this long is dropped and resumed (default 45 s). */
  stallTimeoutMs?: number;
  /** Give up (error the Observable) after failing to reconnect for this long (default 60 s). */
  maxRetryMs?: number;
}

/** What one remote watch asks for. */
export interface RemoteWatchSpec {
  /** The watch path (`/v1/watch/ns/type[/id]`). */
  readonly path: string;
  /** Query of the first request. */
  readonly query: Query;
  /** Query kept when resuming (filters, aggregation), to which `startFromBookmark` is added. */
  readonly resumeQuery: Query;
  readonly aggregated: boolean;
  /** The caller asked for a bootstrap: hold `created` events until `bootstrapped` (non-aggregated). */
  readonly bootstrapContents: boolean;
  /** A `noop` this client added to learn its start position: swallowed, never delivered. */
  readonly internalNoop: boolean;
  /** The server puts a bookmark on the first event of a single watch; the caller gets it without. */
  readonly stripInitialBookmark: boolean;
}

/** Shared by every watch of a remote state. */
export interface RemoteWatchHost {
  readonly transport: ApiTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: Required<WatchRetryOptions>;
  /** Watches still open; `close()` completes them. */
  readonly open: Set<{ complete(): void }>;
  /**
   * First connections of watches whose start the server has not yet fixed; writes of the same
   * client wait for them, so a watch subscribed before a write sees that write.
   */
  readonly opening: Set<Promise<void>>;
}

const maxLineLength = 64 * 1024 * 1024;

/**
 * Network trouble and server-side unavailability are retried; anything the server decided is not.
 * A certificate refused on the first connection fails at once; after a success it is taken for a
 * connection cut during a server restart.
 */
function retriable(error: unknown, everConnected: boolean): boolean {
  if (!isApiError(error)) return false;
  if (error.code === 'CertificateRefused') return everConnected;
  return error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504;
}

/**
 * A watch over the API that resumes after a dropped connection or a server restart from the last
 * bookmark it delivered, with exponential backoff, so every change arrives exactly once. A bookmark
 * the server rejects errors the Observable with `InvalidBookmarkError`.
 */
export function remoteWatch<T extends WatchEvent | WatchEvent[]>(
  host: RemoteWatchHost,
  spec: RemoteWatchSpec,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let lastBookmark: string | undefined;
    let opened: (() => void) | undefined;
    const opening = new Promise<void>((resolve) => {
      opened = resolve;
    });
    host.opening.add(opening);
    const markOpened = () => {
      host.opening.delete(opening);
      opened?.();
      opened = undefined;
    };
    let closed = false;
    let attempt = 0;
    let failingSince: number | undefined;
    let everConnected = false;
    let request: ClientRequest | undefined;
    let retryTimer: TimerHandle | undefined;
    let stallTimer: TimerHandle | undefined;
    const { clock, retry } = host;
    const handle = { complete: () => finish(() => subscriber.complete()) };
    host.open.add(handle);

    function finish(fn: () => void): void {
      if (closed) return;
      closed = true;
      host.open.delete(handle);
      markOpened();
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      if (stallTimer !== undefined) clock.clearTimeout(stallTimer);
      request?.destroy();
      fn();
    }

    function connect(): void {
      if (closed) return;
      const query =
        lastBookmark === undefined ? spec.query : { ...spec.resumeQuery, startFromBookmark: lastBookmark };
      const { request: req, response } = host.transport.openStream(withQuery(spec.path, query));
      request = req;
      let ended = false;
      // One connection ends once: by an error line, a drop, or the server closing it.
      const drop = (error: unknown) => {
        if (ended || closed) return;
        ended = true;
        markOpened();
        if (stallTimer !== undefined) clock.clearTimeout(stallTimer);
        req.destroy();
        if (!retriable(error, everConnected)) {
          finish(() => subscriber.error(error));
          return;
        }
        const now = clock.now();
        failingSince ??= now;
        if (now - failingSince >= retry.maxRetryMs) {
          finish(() => subscriber.error(error));
          return;
        }
        const delay = Math.min(retry.maxBackoffMs, retry.minBackoffMs * 2 ** attempt++);
        host.logger.debug({ err: error, delay, bookmark: lastBookmark }, 'watch dropped; resuming');
        retryTimer = clock.setTimeout(connect, delay);
      };
      // Errors before the answer reject `response`; later ones end `res` (see read()).
      armStall(drop);
      response.then(
        (res) => {
          markOpened();
          if (res.statusCode !== 200) {
            readError(res, drop);
            return;
          }
          everConnected = true;
          read(res, drop);
        },
        (error: unknown) => drop(error),
      );
    }

    function armStall(drop: (error: unknown) => void): void {
      if (stallTimer !== undefined) clock.clearTimeout(stallTimer);
      stallTimer = clock.setTimeout(
        () =>
          drop(
            new ApiError(0, 'Unavailable', `watch stream stalled: nothing for ${retry.stallTimeoutMs} ms`),
          ),
        retry.stallTimeoutMs,
      );
    }

    function readError(res: IncomingMessage, drop: (error: unknown) => void): void {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => drop(errorOfResponse(res.statusCode ?? 0, Buffer.concat(chunks))));
      res.on('error', (error) => drop(unreachable(host.transport.url.origin, error)));
    }

    function read(res: IncomingMessage, drop: (error: unknown) => void): void {
      let buffer = '';
      // Bootstrap events are held until `bootstrapped`, so a drop mid-bootstrap restarts it cleanly.
      let held: WatchEvent[] | null =
        spec.bootstrapContents && lastBookmark === undefined && !spec.aggregated ? [] : null;
      let swallowNoop = spec.internalNoop && lastBookmark === undefined;
      let stripBookmark = spec.stripInitialBookmark && lastBookmark === undefined;
      res.setEncoding('utf8');
      armStall(drop);
      const deliver = (event: WatchEvent): void => {
        if (event.type === 'noop' && swallowNoop) {
          swallowNoop = false;
          lastBookmark = event.bookmark;
          return;
        }
        if (held !== null) {
          if (event.type === 'bootstrapped') {
            const events = held;
            held = null;
            for (const e of events) {
              if (closed) return;
              subscriber.next(e as T);
            }
          } else {
            held.push(event);
            return;
          }
        }
        const b = (event as { bookmark?: string }).bookmark;
        if (b !== undefined) lastBookmark = b;
        if (stripBookmark) {
          stripBookmark = false;
          const { bookmark: _, ...initial } = event as WatchEvent & { bookmark?: string };
          subscriber.next(Object.freeze(initial) as T);
          return;
        }
        subscriber.next(event as T);
      };
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
      const onLine = (line: string): void => {
        if (line === '') return;
        const value = JSON.parse(line) as unknown;
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) value[i] = restore(value[i] as WatchEvent);
          let batch = Object.freeze(value) as WatchEvent[];
          if (swallowNoop && batch[0]?.type === 'noop') {
            swallowNoop = false;
            lastBookmark = batch[0].bookmark;
            batch = batch.slice(1);
          }
          for (let i = batch.length - 1; i >= 0; i--) {
            const b = (batch[i] as { bookmark?: string }).bookmark;
            if (b !== undefined) {
              lastBookmark = b;
              break;
            }
          }
          if (batch.length > 0) subscriber.next(batch as T);
          return;
        }
        const event = value as WatchEvent | { type: 'heartbeat' } | { type: 'error'; error: WireError };
        if (event.type === 'heartbeat') return;
        if (event.type === 'error') {
          const error = errorFromWire((event as { error: WireError }).error);
          finish(() => subscriber.error(error));
          return;
        }
        deliver(restore(event as WatchEvent));
      };
      res.on('data', (chunk: string) => {
        if (closed) return;
        armStall(drop);
        attempt = 0;
        failingSince = undefined;
        buffer = buffer === '' ? chunk : buffer + chunk;
        let start = 0;
        let nl = buffer.indexOf('\n');
        while (nl >= 0 && !closed) {
          try {
            onLine(buffer.slice(start, nl));
          } catch (error) {
            drop(new ApiError(0, 'Unavailable', `malformed watch stream line: ${(error as Error).message}`));
            return;
          }
          start = nl + 1;
          nl = buffer.indexOf('\n', start);
        }
        buffer = start === 0 ? buffer : buffer.slice(start);
        if (buffer.length > maxLineLength) {
          finish(() => subscriber.error(new ApiError(0, 'BadResponse', 'watch stream line is too long')));
        }
      });
      const ended = () => drop(new ApiError(0, 'Unavailable', 'watch stream ended by the server'));
      res.on('end', ended);
      res.on('aborted', ended);
      res.on('close', ended);
      res.on('error', (error) => drop(unreachable(host.transport.url.origin, error)));
    }

    connect();
    return () => finish(() => {});
  });
}
