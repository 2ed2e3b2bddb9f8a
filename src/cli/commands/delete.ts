import { wallClock } from '../../runtime/clock.js';
import { isConflictError, isNotFoundError } from '../../runtime/errors.js';
import { formatPointer, type Pointer, pointerOf } from '../../runtime/resource/pointer.js';
import { type AnyResource, isTombstone } from '../../runtime/resource/resource.js';
import { CliError, exitCodes } from '../exit-codes.js';
import type { Session } from '../session.js';
import { readManifests } from './apply.js';
import type { Output } from './output-sink.js';

/** Options of `converge delete`. */
export interface DeleteOptions {
  namespace?: string;
  /** Manifest files naming what to delete. */
  files?: readonly string[];
  /** Wait until each resource is destroyed (default true); false returns once teardown started. */
  wait?: boolean;
  /** Give up waiting after this many seconds (default 60). */
  timeout?: number;
  /** A missing resource is not an error. */
  ignoreNotFound?: boolean;
}

/** Destroys a resource whose finalizers are gone; someone else (the server) may have done it first. */
async function destroyIfReady(session: Session, pointer: Pointer): Promise<boolean> {
  try {
    await session.state.destroy(pointer);
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return true;
    // A finalizer came back meanwhile: keep waiting.
    if (isConflictError(error)) return false;
    throw error;
  }
}

/**
 * Waits until the resource is destroyed, saying on `progress` which finalizers it waits for each
 * time they change. Once none remain it destroys the resource itself, unless the server did.
 */
async function waitDestroyed(
  session: Session,
  pointer: Pointer,
  timeoutMs: number,
  progress: Output,
): Promise<void> {
  const name = formatPointer(pointer);
  let said = '';
  let gone = false;
  const check = async (resource: AnyResource | undefined): Promise<void> => {
    if (resource === undefined || isTombstone(resource)) {
      gone = true;
      return;
    }
    const pending = resource.metadata.finalizers.join(', ');
    if (pending === '') {
      if (await destroyIfReady(session, pointer)) gone = true;
      return;
    }
    if (pending !== said) {
      said = pending;
      progress.write(`${name} waiting for finalizers: ${pending}\n`);
    }
  };
  return new Promise((resolve, reject) => {
    // Checks run one after another, in event order.
    let chain: Promise<void> = Promise.resolve();
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      wallClock.clearTimeout(timer);
      subscription.unsubscribe();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = wallClock.setTimeout(
      () =>
        finish(
          new CliError(
            `${name}: still waiting for finalizers after ${timeoutMs / 1000} s: ${said || 'none'}`,
            exitCodes.conflict,
          ),
        ),
      timeoutMs,
    );
    const subscription = session.state.watch(pointer).subscribe({
      next: (event) => {
        if (event.type === 'noop' || event.type === 'bootstrapped') return;
        const resource = event.type === 'destroyed' ? undefined : (event.resource as AnyResource);
        chain = chain
          .then(() => (finished ? undefined : check(resource)))
          .then(() => {
            if (gone) finish();
          }, finish);
      },
      error: finish,
      complete: () =>
        finish(new CliError(`${name}: the watch ended before it was destroyed`, exitCodes.failure)),
    });
  });
}

/**
 * `converge delete <type> <id...>` or `-f manifests.yaml`: tears each resource down and waits until
 * it is destroyed (its finalizers gone), as kubectl does; with `wait: false` it returns once the
 * teardown started, and the server destroys it after the last finalizer goes.
 */
export async function deleteCommand(
  session: Session,
  typeName: string | undefined,
  ids: readonly string[],
  options: DeleteOptions,
  out: Output,
  progress: Output,
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
  const wait = options.wait ?? true;
  for (const pointer of pointers) {
    const name = formatPointer(pointer);
    try {
      const ready = await session.state.teardown(pointer);
      if (ready && (await destroyIfReady(session, pointer))) {
        out.write(`${name} deleted\n`);
        continue;
      }
      if (!wait) {
        const current = await session.state.get(pointer);
        const pending = current.metadata.finalizers;
        if (pending.length === 0 && (await destroyIfReady(session, pointer))) {
          out.write(`${name} deleted\n`);
        } else {
          out.write(`${name} tearing down, waiting for finalizers: ${pending.join(', ')}\n`);
        }
        continue;
      }
      await waitDestroyed(session, pointer, timeoutMs, progress);
      out.write(`${name} deleted\n`);
    } catch (error) {
      if (isNotFoundError(error) && options.ignoreNotFound) continue;
      throw error;
    }
  }
}
