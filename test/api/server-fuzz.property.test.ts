import { Agent, request } from 'node:https';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespaces, ResourceDefinitions } from '../../src/runtime/resource/meta.js';
import { createState } from '../../src/runtime/state/create-state.js';
import type { CoreState, State } from '../../src/runtime/state/state.js';
import { withStateHelpers } from '../../src/runtime/state/state-helpers.js';
import { Items, Secrets, startTestServer, type TestServer } from './helpers/fixture.js';
import { type FuzzRequest, fuzzRequest, resourceUrl } from './helpers/fuzz-requests.js';

/** The store behind the server, counting every write that committed. */
function countingStore(inner: State): { state: State; writes: () => number } {
  let writes = 0;
  const counted = <T>(p: Promise<T>) =>
    p.then((v) => {
      writes++;
      return v;
    });
  const core: CoreState = {
    get: (p) => inner.get(p),
    list: (k, o) => inner.list(k, o),
    create: (r, o) => counted(inner.create(r, o)),
    update: (r, o) => counted(inner.update(r, o)),
    destroy: (p, o) => counted(inner.destroy(p, o)),
    transaction: (ops) => counted(inner.transaction(ops)),
    watch: (p, o) => inner.watch(p, o),
    watchKind: (k, o) => inner.watchKind(k, o),
    watchKindAggregated: (k, o) => inner.watchKindAggregated(k, o),
  };
  return { state: withStateHelpers(core), writes: () => writes };
}

let t: TestServer;
let inner: State;
let writes: () => number;
const agents = new Map<string, Agent>();

beforeAll(async () => {
  inner = createState();
  const counting = countingStore(inner);
  writes = counting.writes;
  t = await startTestServer({ state: counting.state, limits: { maxBodyBytes: 64 * 1024 } });
  await inner.create(Items.make('existing', { value: 1 }, { labels: { app: 'web' } }));
  await inner.create(Items.make('held', { value: 2 }, { finalizers: ['f'] }), { owner: 'ctl' });
  await inner.create(Secrets.make('token', { token: 's3cret' }));
  for (const [role, pair] of [
    ['reader', t.certs.clients.reader],
    ['operator', t.certs.clients.operator],
    ['admin', t.certs.clients.admin],
    ['none', t.certs.noRole],
  ] as const) {
    agents.set(
      role,
      new Agent({ keepAlive: true, maxSockets: 4, ca: t.certs.ca.cert, cert: pair.cert, key: pair.key }),
    );
  }
});

afterAll(async () => {
  for (const a of agents.values()) a.destroy();
  await t.close();
});

/** Everything in the store, as one string. */
async function snapshot(): Promise<string> {
  const namespaces = (await inner.list(Namespaces.kind())).map((n) => n.metadata.id);
  const parts: unknown[] = [namespaces, await inner.list(ResourceDefinitions.kind())];
  for (const namespace of namespaces) {
    parts.push(
      await inner.list({ namespace, type: Items.type }),
      await inner.list({ namespace, type: Secrets.type }),
    );
  }
  return JSON.stringify(parts);
}

/** Sends one request; a watch stream is closed as soon as its headers arrive. */
function send(r: FuzzRequest): Promise<{ status: number; body: string }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (r.contentType !== undefined) headers['content-type'] = r.contentType;
    const req = request(
      {
        hostname: url.hostname,
        port: Number(url.port),
        method: r.method,
        path: r.path,
        headers,
        agent: agents.get(r.role)!,
      },
      (res) => {
        if (String(res.headers['content-type']).includes('ndjson')) {
          resolve({ status: res.statusCode ?? 0, body: '' });
          req.destroy();
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (error) => reject(error));
    req.end(r.body);
  });
}

describe('api server under random requests', () => {
  it('should never answer 5xx, and never change the store on a refused request', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (r) => {
        const before = await snapshot();
        const writesBefore = writes();
        const res = await send(r);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${r.method} ${r.path.slice(0, 120)} -> ${res.body.slice(0, 200)}`).toBeLessThan(
          500,
        );
        if (res.status >= 400) {
          expect(JSON.parse(res.body).error.status).toBe(res.status);
          expect(writes()).toBe(writesBefore);
          expect(await snapshot()).toBe(before);
        }
      }),
      {
        numRuns: 400,
        // Fixed cases besides the random ones, so that every kind of answer is reached in every run.
        examples: [
          [
            {
              role: 'admin',
              method: 'POST',
              path: resourceUrl(Items.kind()),
              contentType: undefined,
              body: JSON.stringify(Items.make('example', { value: 1 })),
            },
          ],
          [
            {
              role: 'admin',
              method: 'POST',
              path: resourceUrl(Items.kind()),
              contentType: undefined,
              body: JSON.stringify(Items.make('existing', { value: 1 })),
            },
          ],
          [
            {
              role: 'reader',
              method: 'POST',
              path: resourceUrl(Items.kind()),
              contentType: undefined,
              body: JSON.stringify(Items.make('r', { value: 1 })),
            },
          ],
          [
            {
              role: 'admin',
              method: 'POST',
              path: resourceUrl(Items.kind()),
              contentType: undefined,
              body: '{',
            },
          ],
          [
            {
              role: 'admin',
              method: 'GET',
              path: resourceUrl(Items.pointer('missing')),
              contentType: undefined,
              body: undefined,
            },
          ],
          [
            {
              role: 'admin',
              method: 'PATCH',
              path: resourceUrl(Items.pointer('existing')),
              contentType: undefined,
              body: undefined,
            },
          ],
        ],
      },
    );
    // The generator reaches the paths that write as well as every kind of refusal.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 201, 400, 403, 404, 405, 409]));
    expect(writes()).toBeGreaterThan(10);
  });
});

describe('api server refusing a request before its body', () => {
  it('should read a small body it refused, answer, and keep the connection for the next request', async () => {
    const url = new URL(t.url);
    const body = JSON.stringify(Items.make('refused', { value: 1 }));
    const answer = await new Promise<{ status: number; connection: string | undefined }>(
      (resolve, reject) => {
        const req = request(
          {
            hostname: url.hostname,
            port: Number(url.port),
            method: 'POST',
            path: resourceUrl(Items.kind()),
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            agent: agents.get('reader')!,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          },
        );
        req.on('error', reject);
        // The headers go first; the body follows once the server has had the chance to refuse.
        req.flushHeaders();
        setTimeout(() => req.end(body), 100);
      },
    );
    expect(answer.status).toBe(403);
    expect(answer.connection).not.toBe('close');
  });
});
