/**
 * Streaming answers of the node API: one JSON object per line (NDJSON), a heartbeat line while
 * nothing happens, and an end when the source completes, the client goes or the server closes.
 */
import type { ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import { errorToWire } from '../../api/api-error.js';
import type { Clock } from '../../runtime/clock.js';

/** Options of {@link streamNdjson}. */
export interface NdjsonStreamOptions {
  readonly clock: Clock;
  /** Time between heartbeat lines (`{"type":"heartbeat"}`). */
  readonly heartbeatMs: number;
  /** Aborted when the server closes. */
  readonly closing: AbortSignal;
}

const heartbeatLine = '{"type":"heartbeat"}\n';

/**
 * Writes every item of `source` as a line; an error of the source is written as a last
 * `{"type":"error","error":{...}}` line. Resolves when the stream has ended.
 */
export function streamNdjson<T>(
  res: ServerResponse,
  source: Observable<T>,
  options: NdjsonStreamOptions,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/x-ndjson',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  return new Promise<void>((resolve) => {
    let ended = false;
    let subscription: Subscription | undefined;
    let timer = options.clock.setTimeout(beat, options.heartbeatMs);
    function beat() {
      if (ended) return;
      res.write(heartbeatLine);
      timer = options.clock.setTimeout(beat, options.heartbeatMs);
    }
    const end = () => {
      if (ended) return;
      ended = true;
      options.clock.clearTimeout(timer);
      subscription?.unsubscribe();
      options.closing.removeEventListener('abort', end);
      res.off('close', end);
      if (!res.writableEnded) res.end();
      resolve();
    };
    subscription = source.subscribe({
      next: (item) => {
        if (!ended) res.write(`${JSON.stringify(item)}\n`);
      },
      error: (error: unknown) => {
        if (!ended) res.write(`${JSON.stringify({ type: 'error', error: errorToWire(error) })}\n`);
        end();
      },
      complete: end,
    });
    // A source that finished while subscribing has already ended the stream.
    if (ended) subscription.unsubscribe();
    if (options.closing.aborted) end();
    options.closing.addEventListener('abort', end);
    res.on('close', end);
  });
}
