import { stringify as toYaml } from 'yaml';
import { ValidationError } from '../runtime/errors.js';
import type { Phase } from '../runtime/resource/metadata.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import { resourcesToYaml, resourceToYaml } from '../runtime/resource/yaml.js';
import type { TransactionOp } from '../runtime/state/state.js';
import { ApiError } from './api-error.js';
import { requestDelete } from './delete-reaper.js';
import { booleanParam, parseBody, readBody, sendJsonText, sendYamlText, wantsYaml } from './http-io.js';
import {
  checkedPointer,
  listOptionsOf,
  queryOf,
  type RequestContext,
  redactFor,
  storableResource,
} from './request-context.js';
import {
  parseWire,
  redactResource,
  resourceJson,
  wireLimits,
  wireOpToOp,
  wireResource,
  wireTransaction,
} from './wire.js';
import { dryRun, explainOwnerConflict } from './write-checks.js';

/** The handlers of every route that answers once (everything but watches). */

function sendResource(ctx: RequestContext, status: number, resource: AnyResource): void {
  const redact = redactFor(ctx, resource.metadata.type);
  if (wantsYaml(ctx.req)) {
    sendYamlText(ctx.res, status, resourceToYaml(redact ? redactResource(resource) : resource));
  } else {
    sendJsonText(ctx.res, status, resourceJson(resource, redact));
  }
}

function ownerParam(params: Map<string, string>): string {
  const owner = params.get('owner') ?? '';
  if (owner.length > wireLimits.maxNameLength) {
    throw new ApiError(400, 'BadRequest', `owner is longer than ${wireLimits.maxNameLength} characters`);
  }
  return owner;
}

function phaseParam(params: Map<string, string>): Phase | 'any' | undefined {
  const v = params.get('expectedPhase');
  if (v === undefined) return undefined;
  if (v !== 'running' && v !== 'tearingDown' && v !== 'any') {
    throw new ApiError(
      400,
      'BadRequest',
      `expectedPhase must be running, tearingDown or any, got ${JSON.stringify(v.slice(0, 64))}`,
    );
  }
  return v;
}

/** Reads and checks a resource body whose identity must match the path. */
async function resourceBody(
  ctx: RequestContext,
  path: { namespace: string; type: string; id?: string },
): Promise<AnyResource> {
  const body = await parseBody(ctx.req, await readBody(ctx.req, ctx.limits.maxBodyBytes), ctx.limits);
  const bodyId = (body as { metadata?: { id?: unknown } } | null)?.metadata?.id;
  const parsed = parseWire(wireResource, body, {
    namespace: path.namespace,
    type: path.type,
    id: path.id ?? (typeof bodyId === 'string' ? bodyId : ''),
  });
  const m = parsed.metadata;
  const mismatch = (['namespace', 'type', 'id'] as const).filter(
    (k) => path[k] !== undefined && path[k] !== m[k],
  );
  if (mismatch.length > 0) {
    throw new ValidationError(
      m,
      mismatch.map((k) => ({
        path: ['metadata', k],
        message: `does not match the request path (${JSON.stringify(path[k])})`,
      })),
    );
  }
  return storableResource(parsed);
}

/** Answers a request of any non-watch route; an owner conflict says who owns the resource. */
export async function handleResourceRoute(ctx: RequestContext): Promise<void> {
  try {
    await answer(ctx);
  } catch (error) {
    throw await explainOwnerConflict(ctx.state, error);
  }
}

async function answer(ctx: RequestContext): Promise<void> {
  const { route, state, policy, identity } = ctx;
  // Every route but whoami needs a role; refuse before looking at anything else.
  if (route.name !== 'whoami') policy.checkRead(identity);
  switch (route.name) {
    case 'get': {
      queryOf(ctx, []);
      const pointer = checkedPointer(route);
      policy.checkKnown(pointer.type);
      sendResource(ctx, 200, await state.get(pointer));
      return;
    }
    case 'list': {
      const params = queryOf(ctx, ['labelQuery', 'idQuery', 'idQueryFlags']);
      const kind = checkedPointer(route);
      policy.checkKnown(kind.type);
      const items = await state.list({ namespace: kind.namespace, type: kind.type }, listOptionsOf(params));
      const redact = redactFor(ctx, route.type);
      if (wantsYaml(ctx.req)) {
        sendYamlText(ctx.res, 200, resourcesToYaml(redact ? items.map(redactResource) : items));
      } else {
        const parts = items.map((r) => resourceJson(r, redact));
        sendJsonText(ctx.res, 200, `{"items":[${parts.join(',')}]}`);
      }
      return;
    }
    case 'create': {
      const params = queryOf(ctx, ['owner', 'dryRun', 'validateOnly']);
      const owner = ownerParam(params);
      policy.checkWrite(identity, checkedPointer(route));
      const resource = await resourceBody(ctx, { namespace: route.namespace, type: route.type });
      // Only the body and its schema: the resource as the schema normalises it, whatever is stored.
      if (booleanParam(params, 'validateOnly')) {
        sendResource(ctx, 200, resource);
        return;
      }
      // A dry run goes through the store's checks without committing, and answers the resource as
      // checked and normalised by its schema.
      if (booleanParam(params, 'dryRun')) {
        await dryRun(state, [{ op: 'create', resource, owner }]);
        sendResource(ctx, 200, resource);
      } else {
        sendResource(ctx, 201, await state.create(resource, { owner }));
      }
      return;
    }
    case 'update': {
      const params = queryOf(ctx, ['owner', 'expectedPhase', 'dryRun']);
      const owner = ownerParam(params);
      const expectedPhase = phaseParam(params);
      policy.checkWrite(identity, checkedPointer(route));
      const resource = await resourceBody(ctx, route);
      if (booleanParam(params, 'dryRun')) {
        await dryRun(state, [
          { op: 'update', resource, owner, ...(expectedPhase !== undefined ? { expectedPhase } : {}) },
        ]);
        sendResource(ctx, 200, resource);
        return;
      }
      const stored = await state.update(resource, {
        owner,
        ...(expectedPhase !== undefined ? { expectedPhase } : {}),
      });
      sendResource(ctx, 200, stored);
      return;
    }
    case 'destroy': {
      const params = queryOf(ctx, ['owner', 'teardown']);
      const owner = ownerParam(params);
      const pointer = checkedPointer(route);
      policy.checkWrite(identity, pointer);
      if (booleanParam(params, 'teardown')) {
        // A client's delete: tear down now, destroy once the last finalizer goes (202 until then).
        const outcome = await requestDelete(state, pointer, identity.name || 'a client', owner);
        if (outcome.destroyed) {
          sendJsonText(ctx.res, 200, '{"destroyed":true}');
        } else {
          const resource = resourceJson(outcome.resource, redactFor(ctx, pointer.type));
          const waitingFor = JSON.stringify(outcome.waitingFor);
          sendJsonText(ctx.res, 202, `{"destroyed":false,"resource":${resource},"waitingFor":${waitingFor}}`);
        }
        return;
      }
      await state.destroy(pointer, { owner });
      ctx.res.writeHead(204).end();
      return;
    }
    case 'teardown': {
      const owner = ownerParam(queryOf(ctx, ['owner']));
      const pointer = checkedPointer(route);
      policy.checkWrite(identity, pointer);
      const ready = await ctx.helpers.teardown(pointer, { owner });
      sendJsonText(ctx.res, 200, JSON.stringify({ ready }));
      return;
    }
    case 'transaction': {
      policy.checkWriter(identity);
      const dry = booleanParam(queryOf(ctx, ['dryRun']), 'dryRun') ?? false;
      const body = await parseBody(ctx.req, await readBody(ctx.req, ctx.limits.maxBodyBytes), ctx.limits);
      const parsed = parseWire(wireTransaction, body);
      for (const op of parsed.ops) {
        policy.checkWrite(identity, op.op === 'destroy' ? op.pointer : op.resource.metadata);
      }
      const ops = parsed.ops.map((op) =>
        op.op === 'destroy' ? wireOpToOp(op) : { ...wireOpToOp(op), resource: storableResource(op.resource) },
      );
      if (dry) {
        // Every op through the store's checks, none committed; the answer holds the checked resources.
        await dryRun(state, ops as TransactionOp[]);
        const checked = ops.map((op) => ('resource' in op ? op.resource : null));
        const text = checked.map((r) =>
          r === null ? 'null' : resourceJson(r, redactFor(ctx, r.metadata.type)),
        );
        sendJsonText(ctx.res, 200, `{"results":[${text.join(',')}]}`);
        return;
      }
      const results = await state.transaction(ops as Parameters<typeof state.transaction>[0]);
      const parts = results.map((r) =>
        r === null ? 'null' : resourceJson(r, redactFor(ctx, r.metadata.type)),
      );
      sendJsonText(ctx.res, 200, `{"results":[${parts.join(',')}]}`);
      return;
    }
    case 'definitions': {
      queryOf(ctx, []);
      const definitions = policy.definitions();
      if (wantsYaml(ctx.req)) sendYamlText(ctx.res, 200, toYaml({ definitions }));
      else sendJsonText(ctx.res, 200, JSON.stringify({ definitions }));
      return;
    }
    case 'definition': {
      queryOf(ctx, []);
      if (route.definition.length > wireLimits.maxNameLength) {
        throw new ApiError(
          400,
          'BadRequest',
          `type name is longer than ${wireLimits.maxNameLength} characters`,
        );
      }
      const definition = policy.resolve(route.definition);
      if (definition === undefined) {
        throw new ApiError(
          404,
          'UnknownType',
          `no resource definition matches ${JSON.stringify(route.definition)}`,
        );
      }
      if (wantsYaml(ctx.req)) sendYamlText(ctx.res, 200, toYaml(definition));
      else sendJsonText(ctx.res, 200, JSON.stringify(definition));
      return;
    }
    case 'whoami': {
      queryOf(ctx, []);
      sendJsonText(ctx.res, 200, JSON.stringify({ name: identity.name, role: identity.role ?? null }));
      return;
    }
    default:
      throw new ApiError(500, 'Internal', `route ${route.name} has no handler`);
  }
}
