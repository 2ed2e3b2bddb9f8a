import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ValidationError } from '../runtime/errors.js';
import { lookupDefinition, validateSpec } from '../runtime/resource/define-resource.js';
import { deepFreeze } from '../runtime/resource/freeze.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import type { LabelQuery } from '../runtime/state/label-query.js';
import type { CoreState, ListOptions, State } from '../runtime/state/state.js';
import type { AccessPolicy, ClientIdentity } from './access-policy.js';
import { ApiError } from './api-error.js';
import { parseQuery } from './http-io.js';
import type { ResolvedLimits } from './limits.js';
import { seesSensitive } from './roles.js';
import type { Route } from './routes.js';
import { linearRegExp } from './safe-regex.js';
import { unknownFields } from './strict-spec.js';
import { parseWire, wireLabelQueries, wireLimits, wirePointer, type wireResource } from './wire.js';

/** Everything a handler needs for one request. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: Route;
  /** The query string without `?`. */
  readonly search: string;
  readonly identity: ClientIdentity;
  readonly state: CoreState;
  /** The same store with the contract's helpers (teardown). */
  readonly helpers: State;
  readonly policy: AccessPolicy;
  readonly limits: ResolvedLimits;
  readonly logger: Logger;
}

/** The query parameters of the request, refusing unknown ones. */
export function queryOf(ctx: RequestContext, allowed: readonly string[]): Map<string, string> {
  return parseQuery(ctx.search, allowed);
}

/** Checks the identity fields of a path (lengths, non-empty) before they reach the store. */
export function checkedPointer<T extends { namespace: string; type: string; id?: string }>(
  p: T,
): T extends { id: string }
  ? { namespace: string; type: string; id: string }
  : { namespace: string; type: string } {
  parseWire(wirePointer, { namespace: p.namespace, type: p.type, id: p.id ?? '_' }, p);
  return (
    p.id === undefined
      ? { namespace: p.namespace, type: p.type }
      : { namespace: p.namespace, type: p.type, id: p.id }
  ) as never;
}

/** True when the caller gets this type's specs redacted. */
export function redactFor(ctx: RequestContext, type: string): boolean {
  return !seesSensitive(ctx.identity.role) && ctx.policy.isSensitive(type);
}

/** The `labelQuery`, `idQuery` and `idQueryFlags` parameters as list options. */
export function listOptionsOf(params: Map<string, string>): ListOptions {
  const options: { labelQuery?: readonly LabelQuery[]; idQuery?: RegExp } = {};
  const lq = params.get('labelQuery');
  if (lq !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(lq);
    } catch (error) {
      throw new ApiError(400, 'BadRequest', `labelQuery is not valid JSON: ${(error as Error).message}`);
    }
    options.labelQuery = parseWire(wireLabelQueries, raw) as readonly LabelQuery[];
  }
  const source = params.get('idQuery');
  const flags = params.get('idQueryFlags') ?? '';
  if (source !== undefined) {
    if (source.length > wireLimits.maxIdQueryLength) {
      throw new ApiError(
        400,
        'BadRequest',
        `idQuery is longer than ${wireLimits.maxIdQueryLength} characters`,
      );
    }
    if (!/^[imsu]*$/.test(flags))
      throw new ApiError(400, 'BadRequest', 'idQueryFlags may only hold i, m, s and u');
    try {
      options.idQuery = linearRegExp(source, flags);
    } catch (error) {
      throw new ApiError(
        400,
        'BadRequest',
        `idQuery ${JSON.stringify(source.slice(0, 100))} is refused: ${(error as Error).message}`,
      );
    }
  } else if (params.has('idQueryFlags')) {
    throw new ApiError(400, 'BadRequest', 'idQueryFlags needs idQuery');
  }
  return options;
}

/**
 * A parsed wire resource ready for the store: the spec is checked against the type's schema here,
 * before the store sees it (the store recognises the validated value and does not check it again).
 */
export function storableResource(parsed: z.output<typeof wireResource>): AnyResource {
  const { namespace, type, id } = parsed.metadata;
  const definition = lookupDefinition(type);
  const spec =
    definition !== undefined
      ? validateSpec(definition.spec, { namespace, type, id }, parsed.spec)
      : deepFreeze(parsed.spec);
  if (definition !== undefined) {
    // Strict, as kubectl: a field the schema does not know is a mistake, not something to drop.
    const unknown = unknownFields(definition.spec, parsed.spec);
    if (unknown.length > 0) {
      throw new ValidationError(
        { namespace, type, id },
        unknown.map((i) => ({ ...i, path: ['spec', ...i.path] })),
      );
    }
  }
  return deepFreeze({ metadata: parsed.metadata, spec }) as AnyResource;
}
