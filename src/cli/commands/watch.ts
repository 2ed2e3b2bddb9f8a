import type { Observable, Subscription } from 'rxjs';
import { type TimerHandle, wallClock } from '../../runtime/clock.js';
import { isInvalidBookmarkError, isOverrunError } from '../../runtime/errors.js';
import { isTombstone } from '../../runtime/resource/resource.js';
import { resourceToObject } from '../../runtime/resource/yaml.js';
import type { LabelQuery } from '../../runtime/state/label-query.js';
import type { WatchEvent, WatchEventType } from '../../runtime/state/watch-event.js';
import { describeError, isUnreachable } from '../exit-codes.js';
import { compileJsonPathTemplate } from '../jsonpath-template.js';
import { headers, jsonOf, type OutputFormat, type Printable, row, Table, yamlOf } from '../output.js';
import type { Session } from '../session.js';
import type { Output } from './output-sink.js';

/** What `get -w` follows and how it prints. */
export interface FollowOptions {
  readonly kind: { namespace: string; type: string };
  readonly id?: string;
  readonly labelQuery?: LabelQuery;
  readonly definition: Parameters<typeof row>[0];
  readonly output: OutputFormat;
  readonly out: Output;
  readonly err: Output;
}

/** Reconnection delays: from half a second, doubling, up to ten seconds. */
const backoff = { minMs: 500, maxMs: 10_000 };

/** Prints one watch event in the chosen format. */
function makePrinter(options: FollowOptions) {
  const { output, out, definition } = options;
  const wide = output === 'wide';
  const header = headers(definition, true, wide);
  const template = typeof output === 'object' ? compileJsonPathTemplate(output.jsonpath) : undefined;
  let table: Table | undefined;
  const printRows = (rows: string[][]) => {
    if (table === undefined) {
      table = new Table(header, out.write, rows);
      table.print([header]);
    }
    table.print(rows);
  };
  return (batch: readonly { type: WatchEventType; resource: Printable }[]) => {
    if (output === 'table' || wide) {
      printRows(batch.map((e) => row(definition, e.resource, e.type, wide)));
      return;
    }
    for (const { type, resource } of batch) {
      if (template !== undefined) out.write(template.render(resourceToObject(resource)));
      else if (output === 'yaml') out.write(`---\n${yamlOf(resource, type)}`);
      else out.write(`${jsonOf(resource, type)}\n`);
    }
  };
}

/** What changed between what was printed and a fresh listing, in id order. */
function changes(
  known: ReadonlyMap<string, Printable>,
  listed: ReadonlyMap<string, Printable>,
): { type: WatchEventType; resource: Printable }[] {
  const out: { type: WatchEventType; resource: Printable }[] = [];
  const ids = [...new Set([...known.keys(), ...listed.keys()])].sort();
  for (const id of ids) {
    const before = known.get(id);
    const after = listed.get(id);
    if (after === undefined) out.push({ type: 'destroyed', resource: before! });
    else if (before === undefined) out.push({ type: 'created', resource: after });
    else if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ type: 'updated', resource: after });
  }
  return out;
}

/**
 * Follows changes until SIGINT or SIGTERM, as an informer does: a dropped connection is said on
 * stderr and resumed from the last bookmark with backoff; a bookmark the server no longer knows (a
 * restarted store, a lost history) leads to a fresh listing, and what changed meanwhile is printed.
 * Errors the server decided (a refused role, an unknown type) end it.
 */
export function followChanges(session: Session, options: FollowOptions): Promise<void> {
  const { kind, id, labelQuery, err } = options;
  const print = makePrinter(options);
  const known = new Map<string, Printable>();
  const endpoint = session.endpoint;
  return new Promise((resolve, reject) => {
    let subscription: Subscription | undefined;
    let timer: TimerHandle | undefined;
    let bookmark: string | undefined;
    let everConnected = false;
    let attempt = 0;
    let stopped = false;

    const open = (): Observable<WatchEvent> => {
      if (bookmark !== undefined) {
        return id === undefined
          ? session.state.watchKind(kind, {
              startFromBookmark: bookmark,
              ...(labelQuery ? { labelQuery } : {}),
            })
          : session.state.watch({ ...kind, id }, { startFromBookmark: bookmark });
      }
      return id === undefined
        ? session.state.watchKind(kind, { bootstrapContents: true, ...(labelQuery ? { labelQuery } : {}) })
        : session.state.watch({ ...kind, id });
    };

    const subscribe = (relisting: boolean) => {
      // A listing (first or after a lost position) is gathered, then printed as created rows or as
      // the changes since what was printed.
      let listing: Map<string, Printable> | undefined = bookmark === undefined ? new Map() : undefined;
      const finishListing = () => {
        const listed = listing!;
        listing = undefined;
        const batch = relisting
          ? changes(known, listed)
          : [...listed.values()].map((resource) => ({ type: 'created' as const, resource }));
        known.clear();
        for (const [k, v] of listed) known.set(k, v);
        if (batch.length > 0 || !relisting) print(batch);
      };
      subscription = open().subscribe({
        next: (event) => {
          everConnected = true;
          if ('bookmark' in event && event.bookmark !== undefined) bookmark = event.bookmark;
          if (event.type === 'noop') return;
          if (event.type === 'bootstrapped') {
            finishListing();
            return;
          }
          const resource = event.resource as Printable;
          if (listing !== undefined) {
            if (!isTombstone(event.resource)) listing.set(resource.metadata.id, resource);
            // A single watch's first event is its whole listing.
            if (id !== undefined) finishListing();
            return;
          }
          if (isTombstone(event.resource)) return;
          if (event.type === 'destroyed') known.delete(resource.metadata.id);
          else known.set(resource.metadata.id, resource);
          print([{ type: event.type, resource }]);
        },
        error: (error: unknown) => {
          subscription = undefined;
          if (stopped) return;
          if (isInvalidBookmarkError(error) || isOverrunError(error)) {
            err.write(`watch position lost (${describeError(error)}); listing again\n`);
            bookmark = undefined;
            subscribe(true);
            return;
          }
          if (!everConnected || !isUnreachable(error)) {
            done(() => reject(error));
            return;
          }
          retry(error);
        },
        complete: () => done(resolve),
      });
    };

    const retry = (error: unknown) => {
      if (!isUnreachable(error)) {
        done(() => reject(error));
        return;
      }
      const delay = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt++);
      err.write(
        `${attempt === 1 ? 'lost the connection' : 'still cannot reach'} ${endpoint}: ${describeError(error)}; ` +
          `retrying in ${(delay / 1000).toFixed(1)} s\n`,
      );
      timer = wallClock.setTimeout(() => {
        timer = undefined;
        session.ping().then(
          () => {
            if (stopped) return;
            err.write(`reconnected to ${endpoint}\n`);
            attempt = 0;
            // Without a position there is no listing to compare with: it starts over as a re-list.
            subscribe(bookmark === undefined);
          },
          (pingError: unknown) => {
            if (!stopped) retry(pingError);
          },
        );
      }, delay);
    };

    // The process must stay up while waiting to reconnect.
    const keepAlive = setInterval(() => {}, 1 << 30);
    function done(fn: () => void) {
      stopped = true;
      clearInterval(keepAlive);
      if (timer !== undefined) wallClock.clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      fn();
    }
    function stop() {
      subscription?.unsubscribe();
      done(resolve);
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    subscribe(false);
  });
}
