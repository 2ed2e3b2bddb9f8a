import type { Observable } from 'rxjs';
import { isTombstone } from '../../runtime/resource/resource.js';
import type { WatchEvent } from '../../runtime/state/watch-event.js';
import { CliError, exitCodes } from '../exit-codes.js';
import {
  headers,
  jsonOf,
  type OutputFormat,
  type Printable,
  printTable,
  row,
  Table,
  yamlOf,
} from '../output.js';
import { parseSelector } from '../selector.js';
import type { Session } from '../session.js';

/** Options of `converge get`. */
export interface GetOptions {
  namespace?: string;
  selector?: string;
  output: OutputFormat;
  watch?: boolean;
}

/** Where `get` writes. */
export interface Output {
  write(text: string): void;
}

/** `converge get <type> [id]`: prints one resource or a list, or follows changes with `-w`. */
export async function getCommand(
  session: Session,
  typeName: string,
  id: string | undefined,
  options: GetOptions,
  out: Output,
): Promise<void> {
  if (id !== undefined && options.selector !== undefined) {
    throw new CliError('a label selector (-l) cannot be combined with an id', exitCodes.usage);
  }
  const labelQuery = options.selector === undefined ? undefined : parseSelector(options.selector);
  const definition = await session.resolveType(typeName);
  const namespace = options.namespace ?? definition.defaultNamespace;
  const kind = { namespace, type: definition.type };
  if (options.watch) {
    const events: Observable<WatchEvent> =
      id === undefined
        ? session.state.watchKind(kind, { bootstrapContents: true, ...(labelQuery ? { labelQuery } : {}) })
        : session.state.watch({ ...kind, id });
    await follow(events, definition, options.output, out, id === undefined);
    return;
  }
  const items: readonly Printable[] =
    id === undefined
      ? await session.state.list(kind, labelQuery ? { labelQuery } : {})
      : [await session.state.get({ ...kind, id })];
  switch (options.output) {
    case 'table':
      printTable(
        headers(definition, false),
        items.map((r) => row(definition, r)),
        out.write,
      );
      return;
    case 'yaml':
      out.write(items.map((r) => yamlOf(r)).join('---\n'));
      return;
    case 'json':
      for (const r of items) out.write(`${jsonOf(r)}\n`);
      return;
  }
}

/**
 * Prints watch events until the stream ends; a failed stream rejects with its error. A kind watch
 * starts with its bootstrap, laid out as one table so the columns fit it.
 */
function follow(
  events: Observable<WatchEvent>,
  definition: Parameters<typeof row>[0],
  output: OutputFormat,
  out: Output,
  bootstrapping: boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let table: Table | undefined;
    let held: string[][] = [];
    const header = headers(definition, true);
    const printRows = (rows: string[][]) => {
      if (table === undefined) {
        table = new Table(header, out.write, rows);
        table.print([header]);
      }
      table.print(rows);
    };
    const print = (event: WatchEvent) => {
      if (event.type === 'bootstrapped') {
        bootstrapping = false;
        if (output === 'table') printRows(held);
        held = [];
        return;
      }
      // A noop carries a position only; a tombstone stands for a missing resource: nothing to print.
      if (event.type === 'noop' || isTombstone(event.resource)) return;
      const resource = event.resource as Printable;
      if (output === 'table') {
        const r = row(definition, resource, event.type);
        if (bootstrapping) held.push(r);
        else printRows([r]);
      } else if (output === 'yaml') {
        out.write(`---\n${yamlOf(resource, event.type)}`);
      } else {
        out.write(`${jsonOf(resource, event.type)}\n`);
      }
    };
    // The process must stay up while the client waits to reconnect (its timers do not hold it).
    const keepAlive = setInterval(() => {}, 1 << 30);
    const done = (fn: () => void) => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      fn();
    };
    const subscription = events.subscribe({
      next: print,
      error: (error: unknown) => done(() => reject(error)),
      complete: () => done(resolve),
    });
    function stop() {
      subscription.unsubscribe();
      done(resolve);
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
