import { ResourceDefinitions } from '../../runtime/resource/meta.js';
import { resourceToObject } from '../../runtime/resource/yaml.js';
import { CliError, exitCodes, isCliError } from '../exit-codes.js';
import { compileJsonPathTemplate } from '../jsonpath-template.js';
import {
  headers,
  jsonListOf,
  jsonOf,
  type OutputFormat,
  type Printable,
  printTable,
  row,
  yamlOf,
} from '../output.js';
import { parseSelector } from '../selector.js';
import type { Session } from '../session.js';
import type { Output } from './output-sink.js';
import { followChanges } from './watch.js';

/** Options of `converge get`. */
export interface GetOptions {
  namespace?: string;
  selector?: string;
  output: OutputFormat;
  watch?: boolean;
}

/**
 * The id asked for: a `ResourceDefinition` is also found by its type's name or alias
 * (`get rd apps`), as `get apps` finds the type.
 */
async function resolveId(session: Session, type: string, id: string): Promise<string> {
  if (type !== ResourceDefinitions.type) return id;
  try {
    return (await session.resolveType(id)).type.toLowerCase();
  } catch (error) {
    if (isCliError(error) && error.exitCode === exitCodes.notFound) return id;
    throw error;
  }
}

/** `converge get <type> [id]`: prints one resource or a list, or follows changes with `-w`. */
export async function getCommand(
  session: Session,
  typeName: string,
  givenId: string | undefined,
  options: GetOptions,
  out: Output,
  err: Output,
): Promise<void> {
  if (givenId !== undefined && options.selector !== undefined) {
    throw new CliError('a label selector (-l) cannot be combined with an id', exitCodes.usage);
  }
  const labelQuery = options.selector === undefined ? undefined : parseSelector(options.selector);
  const template =
    typeof options.output === 'object' ? compileJsonPathTemplate(options.output.jsonpath) : undefined;
  const definition = await session.resolveType(typeName);
  const namespace = options.namespace ?? definition.defaultNamespace;
  const kind = { namespace, type: definition.type };
  const id = givenId === undefined ? undefined : await resolveId(session, definition.type, givenId);
  if (options.watch) {
    await followChanges(session, {
      kind,
      ...(id !== undefined ? { id } : {}),
      ...(labelQuery !== undefined ? { labelQuery } : {}),
      definition,
      output: options.output,
      out,
      err,
    });
    return;
  }
  const items: readonly Printable[] =
    id === undefined
      ? await session.state.list(kind, labelQuery ? { labelQuery } : {})
      : [await session.state.get({ ...kind, id })];
  if (template !== undefined) {
    const value =
      id === undefined ? { items: items.map((r) => resourceToObject(r)) } : resourceToObject(items[0]!);
    out.write(template.render(value));
    return;
  }
  switch (options.output) {
    case 'table':
    case 'wide': {
      if (items.length === 0) {
        err.write(`No resources found in namespace ${namespace}.\n`);
        return;
      }
      const wide = options.output === 'wide';
      printTable(
        headers(definition, false, wide),
        items.map((r) => row(definition, r, undefined, wide)),
        out.write,
      );
      return;
    }
    case 'yaml':
      out.write(items.map((r) => yamlOf(r)).join('---\n'));
      return;
    case 'json':
      out.write(`${id === undefined ? jsonListOf(items) : jsonOf(items[0]!)}\n`);
      return;
  }
}
