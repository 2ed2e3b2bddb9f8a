import type { Etcd3, ICompare, IKeyValue, IRequestOp } from 'etcd3';
import type { Clock } from '../../runtime/clock.js';
import { formatTimestamp } from '../../runtime/clock.js';
import { ConflictError, UnsupportedError, ValidationError } from '../../runtime/errors.js';
import type { DefinitionLookup } from '../../runtime/resource/definition-registry.js';
import type { Kind, Pointer } from '../../runtime/resource/pointer.js';
import type { AnyResource } from '../../runtime/resource/resource.js';
import type { TransactionOp, TransactionResult } from '../../runtime/state/state.js';
import { decodeResource } from './codec.js';
import { type CommitPlan, type KeyState, keysOfOps, planCommit } from './commit-plan.js';
import { revisionsOf, writtenAt } from './generation-created.js';
import type { KeyCache } from './key-cache.js';
import type { KeyLayout } from './keys.js';
import type { MetaOps, MetaRegistry } from './meta-registry.js';

/** What a commit needs from its store. */
export interface CommitContext {
  readonly client: Etcd3;
  readonly layout: KeyLayout;
  readonly clock: Clock;
  readonly cache: KeyCache;
  /** The definitions specs are validated with. */
  readonly definitions: DefinitionLookup;
  readonly meta: MetaRegistry | undefined;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  /** Runs one etcd call, mapping transport and size failures to clear errors. */
  call<T>(operation: string, fn: () => Promise<T>, pointer?: Pointer): Promise<T>;
}

/** Compare failures a commit retries before giving up. */
const maxCommitAttempts = 100;
/** What etcd adds to a request beyond keys and values, per op and per request (an upper bound). */
const opOverhead = 32;
const requestOverhead = 256;

/**
 * Applies ops as one etcd transaction: plan against the keys' known states (a cached or assumed
 * state first, a fresh read after any doubt), then write with a compare of every key's mod_revision.
 * A lost compare means another writer got in between: read again and plan again.
 */
export async function commitOps(
  ctx: CommitContext,
  ops: readonly TransactionOp[],
  operation: string,
): Promise<TransactionResult[]> {
  const now = formatTimestamp(ctx.clock.now());
  const keys = keysOfOps(ops, ctx.layout);
  const maxOps = ctx.maxTxnOps;
  if (keys.size > maxOps) {
    throw new UnsupportedError(
      kindOf(firstPointer(ops)),
      `a transaction touching ${keys.size} resources (etcd takes at most ${maxOps} per transaction, --max-txn-ops)`,
    );
  }
  let trustGuesses = true;
  for (let attempt = 1; ; attempt++) {
    const states = await keyStates(ctx, keys, trustGuesses);
    const guessed = [...states.values()].some((s) => !s.fresh);
    let plan: CommitPlan;
    try {
      plan = planCommit(ops, now, ctx.layout, states, ctx.definitions);
    } catch (error) {
      // A refusal must come from etcd's real state, never from a guess.
      if (!guessed) throw error;
      trustGuesses = false;
      continue;
    }
    const meta: MetaOps = ctx.meta?.ops(plan, now) ?? noMeta;
    if (plan.writes.length === 0 && plan.records.length === 0 && meta.ops.length === 0) {
      if (!guessed) return plan.results;
      trustGuesses = false;
      continue;
    }
    const compare: ICompare[] = plan.compares.map((s) => ({
      key: s.key,
      target: 'Mod',
      result: 'Equal',
      mod_revision: s.modRevision,
    }));
    const success: IRequestOp[] = plan.writes.map((w) =>
      w.value === null
        ? { request_delete_range: { key: w.key } }
        : { request_put: { key: w.key, value: w.value } },
    );
    for (const r of plan.records) success.push({ request_put: { key: r.key, value: r.value } });
    if (success.length > maxOps) {
      throw new UnsupportedError(
        kindOf(firstPointer(ops)),
        `a transaction of ${success.length} etcd writes (etcd takes at most ${maxOps} per transaction, --max-txn-ops)`,
      );
    }
    const bytes = checkSize(plan, ctx.maxRequestBytes);
    if (success.length + meta.ops.length <= maxOps && bytes + meta.bytes <= ctx.maxRequestBytes) {
      success.push(...meta.ops);
    } else if (meta.ops.length > 0) {
      // No room in this transaction: register ahead; "create if absent" is harmless to repeat.
      await ctx.call(operation, () => ctx.client.kv.txn({ success: meta.ops }));
    }
    const res = await ctx.call(
      operation,
      () => ctx.client.kv.txn({ compare, success }),
      plan.writes[0]?.pointer ?? firstPointer(ops),
    );
    if (res.succeeded) {
      const revision = Number(res.header.revision);
      meta.commit();
      const stored = new Map<AnyResource, AnyResource>();
      for (const w of plan.writes) {
        // A created key's create revision is this transaction's.
        const resource = w.value === null ? undefined : decodeResource(w.value, w.key, writtenAt(revision));
        if (resource !== undefined && w.resource !== undefined) stored.set(w.resource, resource);
        ctx.cache.remember(w.key, w.value === null ? 0 : revision, resource);
      }
      // What a reader will get back: the stored JSON, decoded.
      return plan.results.map((r) => (r === null ? null : (stored.get(r) ?? roundTrip(r, revision))));
    }
    for (const name of keys.keys()) ctx.cache.forget(name);
    trustGuesses = false;
    if (attempt >= maxCommitAttempts) {
      throw new ConflictError(
        plan.writes[0]?.pointer ?? firstPointer(ops),
        `gave up after ${attempt} compare-and-swap attempts lost to concurrent writers`,
      );
    }
  }
}

/** Key states for a commit: cached or assumed when allowed, else read in one etcd request. */
async function keyStates(
  ctx: CommitContext,
  keys: Map<string, { key: Buffer; assumeAbsent: boolean }>,
  trustGuesses: boolean,
): Promise<Map<string, KeyState>> {
  const states = new Map<string, KeyState>();
  const toRead: { name: string; key: Buffer }[] = [];
  for (const [name, { key, assumeAbsent }] of keys) {
    const cached = trustGuesses ? ctx.cache.get(name) : undefined;
    if (cached !== undefined) {
      states.set(name, { key, current: cached.resource, modRevision: cached.modRevision, fresh: false });
    } else if (trustGuesses && assumeAbsent) {
      // A key first touched by a create is most likely absent.
      states.set(name, { key, current: undefined, modRevision: 0, fresh: false });
    } else {
      toRead.push({ name, key });
    }
  }
  if (toRead.length === 0) return states;
  let kvs: (IKeyValue | undefined)[];
  if (toRead.length === 1) {
    const res = await ctx.call('read', () => ctx.client.kv.range({ key: toRead[0]!.key }));
    kvs = [res.kvs[0]];
  } else {
    const res = await ctx.call('read', () =>
      ctx.client.kv.txn({ success: toRead.map(({ key }) => ({ request_range: { key } })) }),
    );
    kvs = res.responses.map((r) => r.response_range.kvs[0]);
  }
  toRead.forEach(({ name, key }, i) => {
    const kv = kvs[i];
    const current = kv === undefined ? undefined : decodeResource(kv.value, kv.key, revisionsOf(kv));
    const modRevision = kv === undefined ? 0 : Number(kv.mod_revision);
    ctx.cache.remember(key, modRevision, current);
    states.set(name, { key, current, modRevision, fresh: true });
  });
  return states;
}

/** The request size of a plan (an upper bound); throws `ValidationError` past etcd's limit. */
function checkSize(plan: CommitPlan, limit: number): number {
  let bytes = requestOverhead;
  let largest = plan.writes[0];
  for (const s of plan.compares) bytes += s.key.length + opOverhead;
  for (const w of plan.writes) {
    bytes += w.key.length + (w.value?.length ?? 0) + opOverhead;
    if ((w.value?.length ?? 0) > (largest?.value?.length ?? 0)) largest = w;
  }
  for (const r of plan.records) bytes += r.key.length + r.value.length + opOverhead;
  if (bytes > limit && largest !== undefined) throw tooLarge(largest.pointer, bytes, limit);
  return bytes;
}

/** The error of a write too large for etcd (`bytes` when known). */
export function tooLarge(
  pointer: Pointer,
  bytes: number | undefined,
  limit: number,
  cause?: unknown,
): ValidationError {
  const size = bytes === undefined ? 'the write' : `the write needs about ${bytes} bytes and`;
  return new ValidationError(
    pointer,
    [
      {
        path: [],
        message: `too large for etcd: ${size} etcd accepts at most ${limit} bytes per request (--max-request-bytes)`,
      },
    ],
    cause === undefined ? undefined : { cause },
  );
}

const noMeta: MetaOps = { ops: [], bytes: 0, commit: () => {} };

/** A result as a reader will get it; what it created has this transaction's revision as create revision. */
function roundTrip(resource: AnyResource, revision: number): AnyResource {
  const json = JSON.stringify({ metadata: resource.metadata, spec: resource.spec });
  return decodeResource(Buffer.from(json), Buffer.alloc(0), writtenAt(revision));
}

function firstPointer(ops: readonly TransactionOp[]): Pointer {
  const op = ops[0] as Partial<{ op: string; pointer: Pointer; resource: { metadata: Pointer } }> | undefined;
  const p = op?.op === 'destroy' ? op.pointer : op?.resource?.metadata;
  return { namespace: String(p?.namespace ?? ''), type: String(p?.type ?? ''), id: String(p?.id ?? '') };
}

function kindOf(pointer: Pointer): Kind {
  return { namespace: pointer.namespace, type: pointer.type };
}
