import { isNotFoundError } from '../../runtime/errors.js';
import { formatPointer, type Pointer, pointerOf } from '../../runtime/resource/pointer.js';
import { CliError, exitCodes } from '../exit-codes.js';
import type { Session } from '../session.js';
import { readManifests } from './apply.js';
import type { Output } from './get.js';

/** Options of `converge delete`. */
export interface DeleteOptions {
  namespace?: string;
  /** Manifest files naming what to delete. */
  files?: readonly string[];
  /** Wait for pending finalizers to be removed, then destroy. */
  wait?: boolean;
  /** Give up waiting after this many seconds (default 60). */
  timeout?: number;
  /** A missing resource is not an error. */
  ignoreNotFound?: boolean;
}

/**
 * `converge delete <type> <id...>` or `-f manifests.yaml`: tears each resource down, and destroys it
 * once no finalizers remain (`--wait` waits for them).
 */
export async function deleteCommand(
  session: Session,
  typeName: string | undefined,
  ids: readonly string[],
  options: DeleteOptions,
  out: Output,
): Promise<void> {
  const pointers: Pointer[] = [];
  if (options.files !== undefined && options.files.length > 0) {
    if (typeName !== undefined)
      throw new CliError('give either -f <file> or <type> <id...>, not both', exitCodes.usage);
    await session.registerDefinitions();
    for (const { resource } of readManifests(options.files)) pointers.push(pointerOf(resource));
  } else {
    if (typeName === undefined || ids.length === 0) {
      throw new CliError('delete needs <type> <id...> or -f <file>', exitCodes.usage);
    }
    const definition = await session.resolveType(typeName);
    const namespace = options.namespace ?? definition.defaultNamespace;
    for (const id of ids) pointers.push({ namespace, type: definition.type, id });
  }
  const timeoutMs = (options.timeout ?? 60) * 1000;
  for (const pointer of pointers) {
    const name = formatPointer(pointer);
    try {
      const ready = await session.state.teardown(pointer);
      if (!ready && !options.wait) {
        const current = await session.state.get(pointer);
        out.write(
          `${name} tearing down, waiting for finalizers: ${current.metadata.finalizers.join(', ')}\n`,
        );
        continue;
      }
      if (!ready) {
        const signal = AbortSignal.timeout(timeoutMs);
        await session.state
          .watchFor(pointer, { finalizersEmpty: true }, { signal })
          .catch((error: unknown) => {
            if (signal.aborted) {
              throw new CliError(
                `${name}: finalizers still pending after ${timeoutMs / 1000} s`,
                exitCodes.conflict,
              );
            }
            throw error;
          });
      }
      await session.state.destroy(pointer);
      out.write(`${name} deleted\n`);
    } catch (error) {
      if (isNotFoundError(error) && options.ignoreNotFound) continue;
      throw error;
    }
  }
}
