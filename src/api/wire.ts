import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../runtime/errors.js';
import { deepFreeze } from '../runtime/resource/freeze.js';
import type { AnyResource } from '../runtime/resource/resource.js';
import type { LabelQuery } from '../runtime/state/label-query.js';
import type { TransactionOp } from '../runtime/state/state.js';
import type { WatchEvent } from '../runtime/state/watch-event.js';

/**
 * The wire codec of the API: what a request body may hold (checked with zod before anything reaches
 * the store), and how resources and watch events are written as JSON.
 */

/** Fixed size limits of identities and metadata on the wire. */
export const wireLimits = {
  maxNameLength: 253,
  maxIdLength: 1024,
  maxLabels: 256,
  maxLabelValueLength: 4096,
  maxFinalizers: 256,
  maxQueryTerms: 64,
  maxQueries: 16,
  maxIdQueryLength: 1024,
  maxTransactionOps: 1024,
} as const;

const name = z.string().min(1).max(wireLimits.maxNameLength);
const id = z.string().min(1).max(wireLimits.maxIdLength);
/**
 * Refuses a list or map with more than `max` entries before its entries are parsed, so an oversized
 * one costs one issue rather than an issue per entry.
 */
function atMost<T extends z.ZodType>(max: number, schema: T): z.ZodPipe<z.ZodCustom<unknown>, T> {
  const size = (v: unknown): number =>
    Array.isArray(v) ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : 0;
  return z.custom<unknown>((v) => size(v) <= max, { message: `at most ${max} entries` }).pipe(schema);
}

const stringMap = (max: number) =>
  atMost(
    max,
    z.record(z.string().min(1).max(wireLimits.maxNameLength), z.string().max(wireLimits.maxLabelValueLength)),
  );

/** The metadata of a resource in a request body. */
const wireMetadata = z.strictObject({
  namespace: name,
  type: name,
  id,
  version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  owner: z.string().max(wireLimits.maxNameLength).default(''),
  phase: z.enum(['running', 'tearingDown']).default('running'),
  finalizers: atMost(wireLimits.maxFinalizers, z.array(name)).default([]),
  labels: stringMap(wireLimits.maxLabels).default({}),
  annotations: stringMap(wireLimits.maxLabels).default({}),
  created: z.string().max(64).optional(),
  updated: z.string().max(64).optional(),
});

/** A resource in a request body: metadata and a spec (checked against the type's schema afterwards). */
export const wireResource = z.strictObject({
  metadata: wireMetadata,
  spec: z.unknown().refine((s) => s !== undefined, { message: 'spec is required' }),
});

/** A pointer in a request body. */
export const wirePointer = z.strictObject({ namespace: name, type: name, id });

const owner = z.string().max(wireLimits.maxNameLength).optional();

/** One transaction op in a request body. */
export const wireTransactionOp = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('create'), resource: wireResource, owner }),
  z.strictObject({
    op: z.literal('update'),
    resource: wireResource,
    owner,
    expectedPhase: z.enum(['running', 'tearingDown', 'any']).optional(),
    expectedCreated: z.string().max(64).optional(),
  }),
  z.strictObject({ op: z.literal('destroy'), pointer: wirePointer, owner }),
]);

/** The body of `POST /v1/transaction`. */
export const wireTransaction = z.strictObject({
  ops: atMost(wireLimits.maxTransactionOps, z.array(wireTransactionOp)),
});

const labelTerm = z.strictObject({
  key: z.string().max(wireLimits.maxNameLength),
  op: z.enum(['exists', 'equal', 'in', 'lt', 'lte', 'ltNumeric', 'lteNumeric']),
  value: z.array(z.string().max(wireLimits.maxLabelValueLength)).max(wireLimits.maxQueryTerms).optional(),
  invert: z.boolean().optional(),
});

/** Label queries on the wire: always a list of ORed queries, each a list of ANDed terms. */
export const wireLabelQueries = z
  .array(z.array(labelTerm).max(wireLimits.maxQueryTerms))
  .max(wireLimits.maxQueries);

/** Normalises the `labelQuery` option to its wire form (a list of ORed queries). */
export function labelQueriesToWire(
  labelQuery: LabelQuery | readonly LabelQuery[] | undefined,
): readonly LabelQuery[] | undefined {
  if (labelQuery === undefined || labelQuery.length === 0) return undefined;
  return Array.isArray(labelQuery[0]) ? (labelQuery as readonly LabelQuery[]) : [labelQuery as LabelQuery];
}

/** Parses a body with a schema; throws `ValidationError` naming `subject` with the zod issues. */
export function parseWire<T extends z.ZodType>(
  schema: T,
  value: unknown,
  subject: { namespace: string; type: string; id?: string } = { namespace: '', type: '' },
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const short = (v: unknown) => {
    const text = typeof v === 'string' ? v : '';
    return text.length > 256 ? `${text.slice(0, 256)}…` : text;
  };
  const named = {
    namespace: short(subject.namespace),
    type: short(subject.type),
    ...(subject.id !== undefined ? { id: short(subject.id) } : {}),
  };
  throw new ValidationError(named, toIssues(result.error.issues));
}

/** Zod issues as the engine's `ValidationIssue`s. */
function toIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((i) => ({ path: i.path, message: i.message, code: i.code }));
}

/** Turns a parsed wire op into a store op. */
export function wireOpToOp(op: z.output<typeof wireTransactionOp>): TransactionOp {
  switch (op.op) {
    case 'create':
      return {
        op: 'create',
        resource: op.resource as AnyResource,
        ...(op.owner !== undefined ? { owner: op.owner } : {}),
      };
    case 'update':
      return {
        op: 'update',
        resource: op.resource as AnyResource,
        ...(op.owner !== undefined ? { owner: op.owner } : {}),
        ...(op.expectedPhase !== undefined ? { expectedPhase: op.expectedPhase } : {}),
        ...(op.expectedCreated !== undefined ? { expectedCreated: op.expectedCreated } : {}),
      };
    case 'destroy':
      return { op: 'destroy', pointer: op.pointer, ...(op.owner !== undefined ? { owner: op.owner } : {}) };
  }
}

/** What readers of sensitive types get instead of the spec. */
export const redactedSpec = '<redacted>';

const json = new WeakMap<object, string>();
const redactedJson = new WeakMap<object, string>();

/**
 * The JSON text of a resource, cached per (frozen) resource object, so a change fanned out to many
 * watchers is serialised once. `redact` replaces the spec with {@link redactedSpec}.
 */
export function resourceJson(resource: AnyResource, redact = false): string {
  const cache = redact ? redactedJson : json;
  let text = cache.get(resource);
  if (text === undefined) {
    text = JSON.stringify(redact ? { metadata: resource.metadata, spec: redactedSpec } : resource);
    if (Object.isFrozen(resource)) cache.set(resource, text);
  }
  return text;
}

/** A resource with its spec redacted. */
export function redactResource(resource: AnyResource): AnyResource {
  return { metadata: resource.metadata, spec: redactedSpec } as unknown as AnyResource;
}

const eventJson = new WeakMap<object, string>();
const redactedEventJson = new WeakMap<object, string>();
const elidedEventJson = new WeakMap<object, string>();
const redactedElidedEventJson = new WeakMap<object, string>();

/**
 * One watch event as JSON, reusing the cached JSON of its resources. With `elideOld`, an `updated`
 * event leaves out `old`: the receiver takes it from its {@link StreamMemo}.
 */
export function eventJsonText(event: WatchEvent, redact = false, elideOld = false): string {
  const cache = elideOld
    ? redact
      ? redactedElidedEventJson
      : elidedEventJson
    : redact
      ? redactedEventJson
      : eventJson;
  let text = cache.get(event);
  if (text !== undefined) return text;
  const bookmark =
    'bookmark' in event && event.bookmark !== undefined
      ? `,"bookmark":${JSON.stringify(event.bookmark)}`
      : '';
  switch (event.type) {
    case 'created':
    case 'destroyed':
      text = `{"type":"${event.type}","resource":${resourceJson(event.resource as AnyResource, redact && event.resource.spec !== null)}${bookmark}}`;
      break;
    case 'updated':
      text = elideOld
        ? `{"type":"updated","resource":${resourceJson(event.resource, redact)}${bookmark}}`
        : `{"type":"updated","resource":${resourceJson(event.resource, redact)},"old":${resourceJson(event.old, redact)}${bookmark}}`;
      break;
    default:
      text = JSON.stringify(event);
  }
  cache.set(event, text);
  return text;
}

/**
 * The resources one watch stream last carried, by id, at most `capacity` of them (the oldest entry
 * goes first). Sender and receiver apply the same events in the same order, so they hold the same
 * ids: an `updated` event whose `old` is the remembered resource is sent without it, which halves
 * the bytes of a stream of updates.
 */
export class StreamMemo<T extends { metadata: { id: string } } = AnyResource> {
  readonly #resources = new Map<string, T>();
  readonly #capacity: number;

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  /** The resource last carried for an id. */
  get(id: string): T | undefined {
    return this.#resources.get(id);
  }

  /** Applies one event: created and updated remember their resource, destroyed forgets it. */
  remember(event: { type: string; resource?: T }): void {
    const resource = event.resource;
    if (resource === undefined) return;
    const id = resource.metadata.id;
    this.#resources.delete(id);
    if (event.type === 'destroyed') return;
    if (event.type !== 'created' && event.type !== 'updated') return;
    this.#resources.set(id, resource);
    if (this.#resources.size > this.#capacity) {
      this.#resources.delete(this.#resources.keys().next().value as string);
    }
  }
}

/** Freezes a resource or event that came off the wire, as everything the store hands out is frozen. */
export function freezeWire<T>(value: T): T {
  return deepFreeze(value);
}
