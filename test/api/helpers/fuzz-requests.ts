import fc from 'fast-check';
import { Namespaces, ResourceDefinitions } from '../../../src/runtime/resource/meta.js';
import { Anys, Items, Secrets } from './fixture.js';

/** One request the fuzz property sends: a client role, a method, a path with query, a body. */
export interface FuzzRequest {
  role: string;
  method: string;
  path: string;
  contentType: string | undefined;
  body: string | undefined;
}

/** Percent-encodes a path segment or query value. */
const enc = (s: string) => encodeURIComponent(s);
const segment = fc.oneof(
  fc
    .constantFrom(
      'default',
      'secrets',
      'meta',
      Items.type,
      Secrets.type,
      ResourceDefinitions.type,
      Namespaces.type,
      'Unknowns.fuzz.converge.dev',
      'existing',
      'held',
      'token',
      'new',
    )
    .map(enc),
  fc.string({ maxLength: 12 }).map(enc),
  fc.constantFrom('%', '%zz', '..', '%2F', 'x'.repeat(300), 'y'.repeat(3000)),
);
const path = fc.oneof(
  fc.tuple(fc.constantFrom('resources', 'watch'), segment, segment).map(([h, a, b]) => `/v1/${h}/${a}/${b}`),
  fc
    .tuple(fc.constantFrom('resources', 'watch'), segment, segment, segment)
    .map(([h, a, b, c]) => `/v1/${h}/${a}/${b}/${c}`),
  fc.tuple(segment, segment, segment).map(([a, b, c]) => `/v1/resources/${a}/${b}/${c}/teardown`),
  fc.constantFrom(
    '/v1/transaction',
    '/v1/definitions',
    '/v1/definitions/rd',
    '/v1/whoami',
    '/',
    '/v1',
    '/v1/',
    '/v1//x',
  ),
  segment.map((s) => `/v1/definitions/${s}`),
);
const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    'true',
    'false',
    '1',
    'x',
    'running',
    'tearingDown',
    'any',
    'ctl',
    '3',
    '-1',
    '99999999999999999',
  ),
  fc.constantFrom(
    '[]',
    '[[{"key":"app","op":"exists"}]]',
    '[[{"key":"app","op":"lt","value":["z"]}]]',
    '{',
    '[[{"op":"x"}]]',
  ),
  fc.constantFrom('^e', '(', 'a|b', '.*', 'i', 'g', 'x.0.1', 'zzzz.0.0'),
  fc.string({ maxLength: 16 }),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'owner',
        'expectedPhase',
        'labelQuery',
        'idQuery',
        'idQueryFlags',
        'tailEvents',
        'startFromBookmark',
        'bootstrapContents',
        'bootstrapBookmark',
        'aggregated',
        'dryRun',
        'bogus',
      ),
      queryValue,
    ),
    { maxLength: 3 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`));
const metadata = fc.record(
  {
    namespace: fc.oneof(fc.constantFrom('default', 'secrets', 'meta', 'other'), fc.jsonValue()),
    type: fc.oneof(fc.constantFrom(Items.type, Secrets.type, 'Unknowns.fuzz.converge.dev'), fc.jsonValue()),
    id: fc.oneof(
      fc.constantFrom('existing', 'held', 'token', 'new', 'n2'),
      fc.jsonValue(),
      fc.constant('i'.repeat(2000)),
    ),
    version: fc.oneof(fc.nat(3), fc.jsonValue()),
    owner: fc.oneof(fc.constantFrom('', 'ctl'), fc.jsonValue()),
    phase: fc.oneof(fc.constantFrom('running', 'tearingDown'), fc.jsonValue()),
    labels: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
      fc.jsonValue(),
    ),
    finalizers: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
/** An array nested `depth` levels deep, built without recursion. */
const nested = (depth: number) => {
  let v: unknown[] = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
};
const spec = fc.oneof(
  fc.record({ value: fc.oneof(fc.integer(), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.record({ token: fc.string({ maxLength: 8 }) }),
  fc.jsonValue(),
  fc.integer({ min: 50, max: 1_000 }).map(nested),
);
const resource = fc.record({ metadata, spec }, { requiredKeys: [] });
const body = fc.oneof(
  fc.constant(undefined),
  resource.map((r) => JSON.stringify(r)),
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant('create'), resource }),
        fc.record({ op: fc.constant('update'), resource, owner: fc.constantFrom('', 'ctl') }),
        fc.record({ op: fc.constant('destroy'), pointer: metadata }),
        fc.jsonValue(),
      ),
      { maxLength: 3 },
    )
    .map((ops) => JSON.stringify({ ops })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.constant('x'.repeat(100 * 1024)),
);
const garbage = fc.record({
  role: fc.constantFrom('reader', 'operator', 'admin', 'none'),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.tuple(path, query).map(([p, q]) => p + q),
  contentType: fc.constantFrom(undefined, 'application/json', 'application/yaml', 'text/plain'),
  body,
});

// Requests shaped as clients send them, with plausible names, so that the paths that write are
// reached as well as the ones that refuse.
const kind = fc.constantFrom(
  { namespace: 'default', type: Items.type },
  { namespace: 'other', type: Items.type },
  { namespace: 'secrets', type: Secrets.type },
  { namespace: 'meta', type: Namespaces.type },
  { namespace: 'default', type: 'Unknowns.fuzz.converge.dev' },
  { namespace: 'default', type: Anys.type },
);
const id = fc.oneof(
  fc.constantFrom('existing', 'held', 'token', 'new', 'n2'),
  fc.string({ minLength: 1, maxLength: 6 }),
);
/** A spec that fits its type most of the time. */
const specFor = (type: string) =>
  fc.oneof(
    {
      arbitrary:
        type === Items.type
          ? fc.record({ value: fc.integer({ min: -5, max: 5 }) })
          : type === Secrets.type
            ? fc.record({ token: fc.string({ maxLength: 6 }) })
            : type === Anys.type
              ? spec
              : fc.record({ description: fc.string({ maxLength: 6 }) }),
      weight: 4,
    },
    { arbitrary: spec, weight: 1 },
  );
const plausibleResource = fc
  .record({
    kind,
    id,
    version: fc.nat(3),
    phase: fc.constantFrom('running', 'tearingDown'),
    labels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { maxKeys: 2 }),
  })
  .chain((r) =>
    specFor(r.kind.type).map((spec) => ({
      metadata: { ...r.kind, id: r.id, version: r.version, phase: r.phase, labels: r.labels },
      spec,
    })),
  );
const owner = fc.constantFrom(undefined, 'ctl', '');
const ownerQuery = (o: string | undefined) => (o === undefined ? '' : `?owner=${enc(o)}`);
/** The path of a kind or a resource. */
export const resourceUrl = (m: { namespace: string; type: string; id?: string }) =>
  `/v1/resources/${enc(m.namespace)}/${enc(m.type)}${m.id === undefined ? '' : `/${enc(m.id)}`}`;
const role = fc.constantFrom('reader', 'operator', 'admin', 'admin', 'operator', 'none');
/** A create whose spec nests `depth` arrays, written as text so the test itself never recurses. */
const deepCreate = fc
  .record({ role, depth: fc.integer({ min: 10, max: 30_000 }) })
  .map(({ role, depth }) => ({
    role,
    method: 'POST',
    path: resourceUrl({ namespace: 'default', type: Anys.type }),
    contentType: 'application/json',
    body: `{"metadata":{"namespace":"default","type":"${Anys.type}","id":"deep${depth}"},"spec":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  }));
const wellFormed = fc.oneof(
  deepCreate,
  fc.record({ role, kind, id, q: query }).map((r) => ({
    role: r.role,
    method: 'GET',
    path: `${resourceUrl({ ...r.kind, id: r.id })}${r.q}`,
    contentType: undefined,
    body: undefined,
  })),
  fc.record({ role, kind, q: query, watch: fc.boolean() }).map((r) => ({
    role: r.role,
    method: 'GET',
    path: `/v1/${r.watch ? 'watch' : 'resources'}/${enc(r.kind.namespace)}/${enc(r.kind.type)}${r.q}`,
    contentType: undefined,
    body: undefined,
  })),
  fc
    .record({ role, r: plausibleResource, owner, dryRun: fc.boolean() })
    .map(({ role, r, owner, dryRun }) => ({
      role,
      method: 'POST',
      path: `${resourceUrl({ namespace: r.metadata.namespace, type: r.metadata.type })}${ownerQuery(owner)}${dryRun ? `${owner === undefined ? '?' : '&'}dryRun=true` : ''}`,
      contentType: 'application/json',
      body: JSON.stringify(r),
    })),
  fc.record({ role, r: plausibleResource, owner }).map(({ role, r, owner }) => ({
    role,
    method: 'PUT',
    path: `${resourceUrl({ ...r.metadata, id: r.metadata.id })}${ownerQuery(owner)}`,
    contentType: 'application/json',
    body: JSON.stringify(r),
  })),
  fc.record({ role, kind, id, owner, teardown: fc.boolean() }).map((r) => ({
    role: r.role,
    method: r.teardown ? 'POST' : 'DELETE',
    path: `${resourceUrl({ ...r.kind, id: r.id })}${r.teardown ? '/teardown' : ''}${ownerQuery(r.owner)}`,
    contentType: undefined,
    body: undefined,
  })),
  fc
    .record({
      role,
      ops: fc.array(
        fc.oneof(
          plausibleResource.map((resource) => ({ op: 'create', resource })),
          fc.record({ resource: plausibleResource, owner }).map((o) => ({ op: 'update', ...o })),
          fc.record({ kind, id }).map((p) => ({ op: 'destroy', pointer: { ...p.kind, id: p.id } })),
        ),
        { maxLength: 3 },
      ),
    })
    .map((r) => ({
      role: r.role,
      method: 'POST',
      path: '/v1/transaction',
      contentType: 'application/json',
      body: JSON.stringify({ ops: r.ops }),
    })),
);
/** Requests shaped as clients send them (three in four) and garbage (one in four). */
export const fuzzRequest = fc.oneof({ arbitrary: wellFormed, weight: 3 }, { arbitrary: garbage, weight: 1 });
