import { Observable, type Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { InvalidBookmarkError, isInvalidBookmarkError, OverrunError } from '../runtime/errors.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import { makeTombstone } from '../runtime/resource/resource.js';
import type { WatchKindOptions } from '../runtime/state/state.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';
import { ApiError, errorToWire } from './api-error.js';
import { booleanParam, integerParam, sendError } from './http-io.js';
import { checkedPointer, listOptionsOf, queryOf, type RequestContext, redactFor } from './request-context.js';
import { eventJsonText, StreamMemo } from './wire.js';

/** Open watch streams, counted per client so one client cannot hold them all. */
export class WatchRegistry {
  readonly #perClient = new Map<string, number>();
  readonly streams = new Set<WatchStream>();

  /** Takes a slot for a client, or refuses (429) when it already holds `max`. */
  acquire(fingerprint: string, max: number): void {
    const n = this.#perClient.get(fingerprint) ?? 0;
    if (n >= max) {
      throw new ApiError(
        429,
        'TooManyWatches',
        `this client already has ${n} open watches (the limit is ${max})`,
      );
    }
    this.#perClient.set(fingerprint, n + 1);
  }

  /** Gives a slot back. */
  release(fingerprint: string): void {
    const n = (this.#perClient.get(fingerprint) ?? 1) - 1;
    if (n <= 0) this.#perClient.delete(fingerprint);
    else this.#perClient.set(fingerprint, n);
  }
}

type Item = WatchEvent | WatchEvent[];
/** Opens the store watch: from the request's options, or resuming right after `bookmark`. */
type Opener = (bookmark: string | undefined) => Observable<Item>;

const maxBookmarkLength = 1024;
const heartbeatLine = '{"type":"heartbeat"}\n';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `watch(pointer)` with a bookmark on its first event: the store's kind watch with a bootstrap of
 * just this id gives the snapshot and a resumable position atomically, so a client that drops right
 * after the initial event still resumes without a gap.
 */
function singleWatchWithBookmark(
  ctx: RequestContext,
  pointer: { namespace: string; type: string; id: string },
) {
  return new Observable<WatchEvent>((subscriber) => {
    let bootstrapping = true;
    let initial: AnyResource | undefined;
    return ctx.state
      .watchKind(
        { namespace: pointer.namespace, type: pointer.type },
        { bootstrapContents: true, idQuery: new RegExp(`^${escapeRegExp(pointer.id)}$`) },
      )
      .subscribe({
        next(event) {
          if (!bootstrapping) {
            subscriber.next(event);
          } else if (event.type === 'created') {
            initial = event.resource;
          } else if (event.type === 'bootstrapped') {
            bootstrapping = false;
            subscriber.next(
              initial === undefined
                ? { type: 'destroyed', resource: makeTombstone(pointer), bookmark: event.bookmark }
                : { type: 'created', resource: initial, bookmark: event.bookmark },
            );
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
  });
}

/** The resume bookmark; an empty or overlong one is malformed, as the store would say. */
function bookmarkParam(
  params: Map<string, string>,
  subject: { namespace: string; type: string },
): string | undefined {
  const b = params.get('startFromBookmark');
  if (b !== undefined && (b.length === 0 || b.length > maxBookmarkLength)) {
    throw new InvalidBookmarkError(subject, 'malformed bookmark');
  }
  return b;
}

/** Builds the opener of a watch route from its query, checking every option first. */
function openerOf(ctx: RequestContext): Opener {
  const { route, state } = ctx;
  if (route.name === 'watch') {
    const params = queryOf(ctx, ['tailEvents', 'startFromBookmark']);
    const pointer = checkedPointer(route);
    ctx.policy.checkKnown(pointer.type);
    const tailEvents = integerParam(params, 'tailEvents', 1_000_000);
    const startFromBookmark = bookmarkParam(params, { namespace: route.namespace, type: route.type });
    if (tailEvents !== undefined && startFromBookmark !== undefined) {
      throw new ApiError(400, 'BadRequest', 'tailEvents cannot be combined with startFromBookmark');
    }
    const opener: Opener = (resume) => {
      if (resume !== undefined) return state.watch(pointer, { startFromBookmark: resume });
      if (tailEvents !== undefined) return state.watch(pointer, { tailEvents });
      if (startFromBookmark !== undefined) return state.watch(pointer, { startFromBookmark });
      return singleWatchWithBookmark(ctx, pointer);
    };
    return opener;
  }
  if (route.name !== 'watchKind') throw new ApiError(500, 'Internal', 'not a watch route');
  const params = queryOf(ctx, [
    'bootstrapContents',
    'bootstrapBookmark',
    'tailEvents',
    'startFromBookmark',
    'labelQuery',
    'idQuery',
    'idQueryFlags',
    'aggregated',
  ]);
  const kind = checkedPointer(route);
  ctx.policy.checkKnown(kind.type);
  const filters = listOptionsOf(params);
  const bootstrapContents = booleanParam(params, 'bootstrapContents') ?? false;
  const bootstrapBookmark = booleanParam(params, 'bootstrapBookmark') ?? false;
  const aggregated = booleanParam(params, 'aggregated') ?? false;
  const tailEvents = integerParam(params, 'tailEvents', 1_000_000);
  const startFromBookmark = bookmarkParam(params, { namespace: route.namespace, type: route.type });
  if (bootstrapContents && (tailEvents !== undefined || startFromBookmark !== undefined)) {
    throw new ApiError(
      400,
      'BadRequest',
      'bootstrapContents cannot be combined with tailEvents or startFromBookmark',
    );
  }
  if (tailEvents !== undefined && startFromBookmark !== undefined) {
    throw new ApiError(400, 'BadRequest', 'tailEvents cannot be combined with startFromBookmark');
  }
  const k = { namespace: kind.namespace, type: kind.type };
  const watchKind = (options: WatchKindOptions): Observable<Item> =>
    aggregated ? state.watchKindAggregated(k, options) : state.watchKind(k, options);
  const opener: Opener = (resume) => {
    if (resume !== undefined) return watchKind({ ...filters, startFromBookmark: resume });
    return watchKind({
      ...filters,
      ...(bootstrapContents ? { bootstrapContents } : {}),
      ...(bootstrapBookmark ? { bootstrapBookmark } : {}),
      ...(tailEvents !== undefined ? { tailEvents } : {}),
      ...(startFromBookmark !== undefined ? { startFromBookmark } : {}),
    });
  };
  return opener;
}

/**
 * One watch answered as a newline-delimited JSON stream. The status is decided by the first thing
 * the store says (an event, or an error such as a rejected bookmark: 410), so setup errors get a
 * proper status. A client that reads too slowly pauses the store watch at the last written bookmark
 * and resumes from it once its socket drains, so the server never buffers without bound.
 */
export class WatchStream {
  readonly #ctx: RequestContext;
  readonly #opener: Opener;
  readonly #redact: boolean;
  readonly #clock: Clock;
  readonly #onClose: () => void;
  #subscription: Subscription | undefined;
  #heartbeat: TimerHandle | undefined;
  #pending: string[] | null = [];
  #lastBookmark: string | undefined;
  #paused = false;
  #closed = false;
  #out: string[] = [];
  readonly #memo = new StreamMemo();
  #flushScheduled = false;

  constructor(ctx: RequestContext, opener: Opener, clock: Clock, onClose: () => void) {
    this.#ctx = ctx;
    this.#opener = opener;
    this.#redact = redactFor(
      ctx,
      ctx.route.name === 'watch' || ctx.route.name === 'watchKind' ? ctx.route.type : '',
    );
    this.#clock = clock;
    this.#onClose = onClose;
    ctx.res.on('close', () => this.#cleanup());
  }

  /** Subscribes to the store; headers go out with the first event, or once setup errors could have arrived. */
  start(): void {
    this.#subscribe(undefined);
    setImmediate(() => this.#sendHeaders());
  }

  /** Ends the stream cleanly (server shutdown): clients resume from their last bookmark. */
  end(): void {
    if (this.#closed) return;
    this.#sendHeaders();
    this.#flush();
    this.#ctx.res.end();
    this.#cleanup();
  }

  #subscribe(bookmark: string | undefined): void {
    this.#subscription = this.#opener(bookmark).subscribe({
      next: (item) => this.#write(item),
      error: (error: unknown) => this.#fail(bookmark !== undefined ? this.#resumeError(error) : error),
      complete: () => this.end(),
    });
  }

  /** A rejected resume bookmark means this client fell further behind than the retained history. */
  #resumeError(error: unknown): unknown {
    if (!isInvalidBookmarkError(error)) return error;
    return new OverrunError(error.pointer, 'the client read too slowly and fell behind the retained history');
  }

  #sendHeaders(): void {
    if (this.#pending === null || this.#closed) return;
    const res = this.#ctx.res;
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    const pending = this.#pending;
    this.#pending = null;
    if (pending.length > 0) res.write(pending.join(''));
    else res.write(heartbeatLine); // flushes the headers now
    this.#scheduleHeartbeat();
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = this.#clock.setTimeout(() => {
      if (this.#closed) return;
      this.#ctx.res.write(heartbeatLine);
      this.#scheduleHeartbeat();
    }, this.#ctx.limits.heartbeatMs);
  }

  #write(item: Item): void {
    if (this.#closed) return;
    let line: string;
    if (Array.isArray(item)) {
      line = `[${item.map((e) => this.#eventText(e)).join(',')}]\n`;
      for (let i = item.length - 1; i >= 0; i--) {
        const b = (item[i] as { bookmark?: string }).bookmark;
        if (b !== undefined) {
          this.#lastBookmark = b;
          break;
        }
      }
    } else {
      line = `${this.#eventText(item)}\n`;
      const b = (item as { bookmark?: string }).bookmark;
      if (b !== undefined) this.#lastBookmark = b;
    }
    if (this.#pending !== null) {
      this.#pending.push(line);
      this.#sendHeaders();
      return;
    }
    // Lines of one turn of the event loop go out in one write: fewer TLS records and syscalls.
    this.#out.push(line);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** The JSON of one event, leaving out `old` when the client remembers it (see `StreamMemo`). */
  #eventText(event: WatchEvent): string {
    const elide = event.type === 'updated' && this.#memo.get(event.resource.metadata.id) === event.old;
    this.#memo.remember(event as { type: string; resource?: AnyResource });
    return eventJsonText(event, this.#redact, elide);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#out.length === 0) return;
    const res = this.#ctx.res;
    res.write(this.#out.length === 1 ? this.#out[0]! : this.#out.join(''));
    this.#out = [];
    if (
      !this.#paused &&
      this.#lastBookmark !== undefined &&
      res.writableLength > this.#ctx.limits.watchHighWaterBytes
    ) {
      this.#pause();
    }
  }

  #pause(): void {
    this.#paused = true;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#ctx.res.once('drain', () => {
      if (this.#closed) return;
      this.#paused = false;
      this.#subscribe(this.#lastBookmark);
    });
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const res = this.#ctx.res;
    if (this.#pending !== null) {
      this.#pending = null;
      sendError(res, error);
    } else {
      if (errorToWire(error).status >= 500) this.#ctx.logger.error({ err: error }, 'watch failed');
      this.#flush();
      res.end(`${JSON.stringify({ type: 'error', error: errorToWire(error) })}\n`);
    }
    this.#cleanup();
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscription?.unsubscribe();
    if (this.#heartbeat !== undefined) this.#clock.clearTimeout(this.#heartbeat);
    this.#onClose();
  }
}

/** Answers a watch route with a stream (or an error status when its options or its start fail). */
export function handleWatch(ctx: RequestContext, registry: WatchRegistry, clock: Clock): void {
  ctx.policy.checkRead(ctx.identity);
  const opener = openerOf(ctx);
  registry.acquire(ctx.identity.fingerprint, ctx.limits.maxWatchesPerClient);
  let released = false;
  const stream: WatchStream = new WatchStream(ctx, opener, clock, () => {
    if (released) return;
    released = true;
    registry.release(ctx.identity.fingerprint);
    registry.streams.delete(stream);
  });
  registry.streams.add(stream);
  stream.start();
}
