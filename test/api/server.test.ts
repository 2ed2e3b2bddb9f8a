import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { resourcePath } from '../../src/api/routes.js';
import { resourceToYaml } from '../../src/runtime/resource/yaml.js';
import { Items, Secrets, startTestServer, type TestServer } from './helpers/fixture.js';
import { jsonOf, type RawRequestOptions, rawRequest } from './helpers/raw-request.js';

let t: TestServer;

function send(role: 'reader' | 'operator' | 'admin', options: Omit<RawRequestOptions, 'tls'>) {
  return rawRequest(t.url, { ...options, tls: t.tlsFor(t.certs.clients[role]) });
}

beforeAll(async () => {
  t = await startTestServer({ limits: { idleTimeoutMs: 200, headersTimeoutMs: 300, requestTimeoutMs: 300 } });
  await t.state.create(Items.make('a', { value: 1 }, { labels: { tier: 'web', size: '10Mi' } }));
  await t.state.create(Items.make('b', { value: 2 }, { labels: { tier: 'db', size: '2Gi' } }));
  await t.state.create(Secrets.make('token', { token: 's3cret' }));
});

afterAll(async () => {
  await t.close();
});

describe('createApiServer', () => {
  it('should answer YAML on request, as resourceToYaml prints it', async () => {
    const one = await send('reader', {
      path: resourcePath('default', Items.type, 'a'),
      headers: { accept: 'application/yaml' },
    });
    expect(one.ok && one.headers['content-type']).toBe('application/yaml');
    expect(one.ok && one.body).toBe(resourceToYaml(await t.state.get(Items.pointer('a'))));
    const list = await send('reader', {
      path: resourcePath('default', Items.type),
      headers: { accept: 'application/yaml' },
    });
    const docs = parseAllDocuments(list.ok ? list.body : '').map(
      (d) => d.toJS() as { metadata: { id: string } },
    );
    expect(docs.map((d) => d.metadata.id)).toEqual(['a', 'b']);
    const secret = await send('reader', {
      path: resourcePath('secrets', Secrets.type, 'token'),
      headers: { accept: 'text/yaml' },
    });
    expect(parseYaml(secret.ok ? secret.body : '').spec).toBe('<redacted>');
  });

  it('should filter lists by label query (numeric units included) and id query', async () => {
    const ids = async (query: string) =>
      jsonOf(await send('reader', { path: `${resourcePath('default', Items.type)}?${query}` })).items.map(
        (r: { metadata: { id: string } }) => r.metadata.id,
      );
    const q = (terms: unknown) => `labelQuery=${encodeURIComponent(JSON.stringify(terms))}`;
    expect(await ids(q([[{ key: 'tier', op: 'equal', value: ['web'] }]]))).toEqual(['a']);
    expect(await ids(q([[{ key: 'size', op: 'ltNumeric', value: ['1Gi'] }]]))).toEqual(['a']);
    expect(
      await ids(
        q([[{ key: 'tier', op: 'equal', value: ['web'] }], [{ key: 'tier', op: 'equal', value: ['db'] }]]),
      ),
    ).toEqual(['a', 'b']);
    expect(await ids('idQuery=%5EB%24&idQueryFlags=i')).toEqual(['b']);
  });

  it('should create from a YAML body, check without storing on a dry run, and tear down with a readiness answer', async () => {
    const yamlBody =
      'metadata:\n  namespace: default\n  type: Items.api.test.converge.dev\n  id: y\nspec:\n  value: 5\n';
    const dry = await send('operator', {
      method: 'POST',
      path: `${resourcePath('default', Items.type)}?dryRun=true`,
      headers: { 'content-type': 'application/yaml' },
      body: yamlBody,
    });
    expect(dry.ok && dry.status).toBe(200);
    expect(jsonOf(dry).spec).toEqual({ value: 5, note: '' });
    await expect(t.state.get(Items.pointer('y'))).rejects.toThrow(/not found/);
    const created = await send('operator', {
      method: 'POST',
      path: resourcePath('default', Items.type),
      headers: { 'content-type': 'application/yaml' },
      body: yamlBody,
    });
    expect(created.ok && created.status).toBe(201);
    expect(jsonOf(created).metadata.version).toBe(1);
    await t.state.addFinalizer(Items.pointer('y'), 'hold');
    const torn = await send('operator', {
      method: 'POST',
      path: `${resourcePath('default', Items.type, 'y')}/teardown`,
    });
    expect(jsonOf(torn)).toEqual({ ready: false });
    expect((await t.state.get(Items.pointer('y'))).metadata.phase).toBe('tearingDown');
    const conflict = await send('operator', {
      method: 'DELETE',
      path: resourcePath('default', Items.type, 'y'),
    });
    expect(conflict.ok && conflict.status).toBe(409);
    expect(jsonOf(conflict).error).toMatchObject({
      code: 'Conflict',
      pointer: { namespace: 'default', type: Items.type, id: 'y' },
    });
    await t.state.removeFinalizer(Items.pointer('y'), 'hold');
    const gone = await send('operator', { method: 'DELETE', path: resourcePath('default', Items.type, 'y') });
    expect(gone.ok && gone.status).toBe(204);
  });

  it('should list resource definitions and resolve a type from any alias', async () => {
    const all = jsonOf(await send('reader', { path: '/v1/definitions' })).definitions as {
      type: string;
      sensitivity: string;
    }[];
    expect(all.map((d) => d.type)).toEqual(
      expect.arrayContaining([Items.type, Secrets.type, 'ResourceDefinitions.meta.cosi.dev']),
    );
    expect(all.find((d) => d.type === Secrets.type)?.sensitivity).toBe('sensitive');
    for (const name of ['item', 'items', 'Items.api.test.converge.dev', 'items.api']) {
      expect(
        jsonOf(await send('reader', { path: `/v1/definitions/${encodeURIComponent(name)}` })).type,
        name,
      ).toBe(Items.type);
    }
    expect(jsonOf(await send('reader', { path: '/v1/definitions/rd' })).type).toBe(
      'ResourceDefinitions.meta.cosi.dev',
    );
    const unknown = await send('reader', { path: '/v1/definitions/nothing' });
    expect(unknown.ok && unknown.status).toBe(404);
  });

  it('should close a connection that sends nothing, and an idle keep-alive connection', async () => {
    const { ca, clients } = t.certs;
    const url = new URL(t.url);
    const closedAfter = (send: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: url.hostname, port: Number(url.port), ca: ca.cert, ...clients.reader },
          () => {
            if (send !== '') socket.write(send);
          },
        );
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => {
          received += d;
        });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
        // A safety net only: the server's own limits (a few hundred ms here) close it long before.
        setTimeout(() => {
          socket.destroy();
          reject(new Error('the server kept the connection open'));
        }, 20_000);
      });
    expect(await closedAfter('')).not.toContain('200 OK');
    const idle = await closedAfter(`GET /v1/whoami HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(idle).toContain('HTTP/1.1 200 OK');
  });
});
