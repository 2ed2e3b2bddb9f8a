import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';
import { ApiError } from './api-error.js';
import { type ApiTransport, errorOfResponse, type Query, unreachable, withQuery } from './http-client.js';
import { watchLineReader } from './remote-watch-lines.js';
import {
  startWatch,
  stepWatch,
  type WatchEffect,
  type WatchInput,
  type WatchMachine,
} from './remote-watch-machine.js';

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

/** One connection of a watch: its request and its stall timer. */
interface Connection {
  readonly id: number;
  readonly request: ClientRequest;
  stall: TimerHandle | undefined;
}

/**
 * A watch over the API that resumes after a dropped connection or a server restart from the last
 * bookmark it delivered, with exponential backoff, so every change arrives exactly once. A bookmark
 * the server rejects errors the Observable with `InvalidBookmarkError`.
 *
 * @remarks The watch is the state machine of `remote-watch-machine.ts` (connecting, streaming,
 * backoff, closed); this function feeds it what connections and timers report, and runs the
 * effects it returns.
 */
export function remoteWatch<T extends WatchEvent | WatchEvent[]>(
  host: RemoteWatchHost,
  spec: RemoteWatchSpec,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const { clock, retry } = host;
    let machine: WatchMachine;
    let connection: Connection | undefined;
    let retryTimer: TimerHandle | undefined;
    let settleOpening: (() => void) | undefined;
    const opening = new Promise<void>((resolve) => {
      settleOpening = resolve;
    });
    host.opening.add(opening);
    const handle = { complete: () => dispatch({ type: 'completed' }) };
    host.open.add(handle);

    function dispatch(input: WatchInput): void {
      const step = stepWatch(machine, input, retry);
      machine = step.machine;
      for (const effect of step.effects) perform(effect);
    }

    function perform(effect: WatchEffect): void {
      switch (effect.type) {
        case 'open':
          connection = open(effect.connection, effect.bookmark);
          return;
        case 'settle-opening':
          host.opening.delete(opening);
          settleOpening?.();
          settleOpening = undefined;
          return;
        case 'cancel':
          if (connection?.id === effect.connection) cancel();
          return;
        case 'wait':
          host.logger.debug(
            { err: effect.reason, delay: effect.delay, bookmark: machine.bookmark },
            'watch dropped; resuming',
          );
          retryTimer = clock.setTimeout(() => {
            retryTimer = undefined;
            dispatch({ type: 'retry' });
          }, effect.delay);
          return;
        case 'release':
          host.open.delete(handle);
          perform({ type: 'settle-opening' });
          if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
          retryTimer = undefined;
          cancel();
          return;
        case 'error':
          subscriber.error(effect.error);
          return;
        case 'complete':
          subscriber.complete();
      }
    }

    function cancel(): void {
      if (connection === undefined) return;
      if (connection.stall !== undefined) clock.clearTimeout(connection.stall);
      connection.request.destroy();
      connection = undefined;
    }

    function open(id: number, bookmark: string | undefined): Connection {
      const query =
        bookmark === undefined ? spec.query : { ...spec.resumeQuery, startFromBookmark: bookmark };
      const { request, response } = host.transport.openStream(withQuery(spec.path, query));
      const conn: Connection = { id, request, stall: undefined };
      const drop = (error: unknown) => dispatch({ type: 'dropped', connection: id, error, now: clock.now() });
      // Errors before the answer reject `response`; later ones end `res` (see read()).
      armStall(conn, drop);
      response.then((res) => {
        dispatch({ type: 'answered', connection: id, ok: res.statusCode === 200 });
        if (machine.connection !== id) return;
        if (machine.phase === 'streaming') read(res, conn, drop);
        else if (machine.phase === 'connecting') readRefusal(res, drop);
      }, drop);
      return conn;
    }

    function armStall(conn: Connection, drop: (error: unknown) => void): void {
      if (conn.stall !== undefined) clock.clearTimeout(conn.stall);
      conn.stall = clock.setTimeout(
        () =>
          drop(
            new ApiError(0, 'Unavailable', `watch stream stalled: nothing for ${retry.stallTimeoutMs} ms`),
          ),
        retry.stallTimeoutMs,
      );
    }

    function readRefusal(res: IncomingMessage, drop: (error: unknown) => void): void {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => drop(errorOfResponse(res.statusCode ?? 0, Buffer.concat(chunks))));
      res.on('error', (error) => drop(unreachable(host.transport.url.origin, error)));
    }

    function read(res: IncomingMessage, conn: Connection, drop: (error: unknown) => void): void {
      const id = conn.id;
      const live = () => machine.phase === 'streaming' && machine.connection === id;
      const fail = (error: unknown) => dispatch({ type: 'failed', connection: id, error });
      const onLine = watchLineReader(spec, machine.bookmark === undefined, {
        next: (value) => subscriber.next(value as T),
        bookmark: (bookmark) => dispatch({ type: 'bookmarked', connection: id, bookmark }),
        fail,
        live,
      });
      let buffer = '';
      res.setEncoding('utf8');
      armStall(conn, drop);
      res.on('data', (chunk: string) => {
        if (!live()) return;
        armStall(conn, drop);
        dispatch({ type: 'received', connection: id });
        buffer = buffer === '' ? chunk : buffer + chunk;
        let start = 0;
        let nl = buffer.indexOf('\n');
        while (nl >= 0 && live()) {
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
        if (buffer.length > maxLineLength)
          fail(new ApiError(0, 'BadResponse', 'watch stream line is too long'));
      });
      const ended = () => drop(new ApiError(0, 'Unavailable', 'watch stream ended by the server'));
      res.on('end', ended);
      res.on('aborted', ended);
      res.on('close', ended);
      res.on('error', (error) => drop(unreachable(host.transport.url.origin, error)));
    }

    const start = startWatch();
    machine = start.machine;
    for (const effect of start.effects) perform(effect);
    return () => dispatch({ type: 'unsubscribed' });
  });
}
