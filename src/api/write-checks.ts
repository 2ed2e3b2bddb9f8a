import { isConflictError, isOwnerConflictError } from '../runtime/errors.js';
import { formatPointer } from '../runtime/resource/pointer.js';
import type { CoreState, TransactionOp } from '../runtime/state/state.js';
import { withHint } from './api-error.js';
import { DeleteRequests } from './delete-reaper.js';

/** The resource a dry run creates twice: the second create always fails, so nothing commits. */
const sentinel = DeleteRequests.make('converge.dev/dry-run', {
  namespace: '',
  type: '',
  id: '',
  created: '',
});

/**
 * Runs writes through the store's own checks (owner, phase, version, schema) without committing:
 * the writes go into a transaction after which the same resource is created twice, which always
 * fails, so the transaction applies nothing and emits nothing. The writes passed every check when
 * the failure is the sentinel's; otherwise their own error is thrown, as the real writes would throw it.
 */
export async function dryRun(state: CoreState, ops: readonly TransactionOp[]): Promise<void> {
  const marker = { op: 'create', resource: sentinel } as const;
  try {
    await state.transaction([...ops, marker, marker]);
  } catch (error) {
    const p = (error as { pointer?: { type?: string; id?: string } }).pointer;
    if (isConflictError(error) && p?.type === sentinel.metadata.type && p.id === sentinel.metadata.id) return;
    throw error;
  }
  throw new Error('dry run: the transaction committed');
}

/**
 * An owner conflict with a hint saying who owns the resource and that a controller's outputs are
 * not for hand edits (the message stays the store's, as remote clients rebuild the store's error).
 */
export async function explainOwnerConflict(state: CoreState, error: unknown): Promise<unknown> {
  if (!isOwnerConflictError(error) || error.pointer.id === undefined) return error;
  const pointer = { namespace: error.pointer.namespace, type: error.pointer.type, id: error.pointer.id };
  const owner = await state.get(pointer).then(
    (r) => r.metadata.owner,
    () => undefined,
  );
  if (owner === undefined) return error;
  return withHint(
    error,
    owner === ''
      ? `${formatPointer(pointer)} is owned by users, not by a controller`
      : `${formatPointer(pointer)} is owned by controller ${JSON.stringify(owner)}; a controller's outputs are not for hand edits (it would undo them): change its inputs instead`,
  );
}
