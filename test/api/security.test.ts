import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificates } from '../../src/api/certificates.js';
import { createRemoteState } from '../../src/api/remote-state.js';
import { resourcePath } from '../../src/api/routes.js';
import { ResourceDefinitions } from '../../src/runtime/resource/meta.js';
import { Anys, Items, Secrets, startTestServer, type TestServer } from './helpers/fixture.js';
import { jsonOf, type RawRequestOptions, rawRequest } from './helpers/raw-request.js';

let t: TestServer;

/** Everything the tests can change, as one string. */
async function snapshot(): Promise<string> {
  const lists = await Promise.all([
    t.state.list(Items.kind()),
    t.state.list(Secrets.kind()),
    t.state.list(ResourceDefinitions.kind()),
  ]);
  return JSON.stringify(lists);
}

function send(role: 'reader' | 'operator' | 'admin', options: Omit<RawRequestOptions, 'tls'>) {
  return rawRequest(t.url, { ...options, tls: t.tlsFor(t.certs.clients[role]) });
}

const itemBody = (id: string, value: unknown = 1) =>
  JSON.stringify({ metadata: { namespace: 'default', type: Items.type, id }, spec: { value } });

beforeAll(async () => {
  t = await startTestServer({ limits: { maxBodyBytes: 64 * 1024, maxWatchesPerClient: 3 } });
  await t.state.create(Items.make('existing', { value: 1 }));
  await t.state.create(Secrets.make('token', { token: 's3cret' }));
});

afterAll(async () => {
  await t.close();
});

describe('api security: certificates', () => {
  it('should refuse a client without a certificate at the TLS handshake', async () => {
    const before = await snapshot();
    const result = await rawRequest(t.url, {
      method: 'POST',
      path: resourcePath('default', Items.type),
      body: itemBody('nocert'),
      tls: { ca: t.certs.ca.cert },
    });
    expect(result.ok).toBe(false);
    expect(await snapshot()).toBe(before);
  });

  it('should refuse a certificate signed by another CA at the TLS handshake', async () => {
    const before = await snapshot();
    const result = await rawRequest(t.url, {
      method: 'POST',
      path: resourcePath('default', Items.type),
      body: itemBody('foreign'),
      tls: t.tlsFor(t.certs.foreign),
    });
    expect(result.ok).toBe(false);
    expect(await snapshot()).toBe(before);
  });

  it('should refuse an expired certificate at the TLS handshake', async () => {
    const before = await snapshot();
    const result = await rawRequest(t.url, {
      method: 'POST',
      path: resourcePath('default', Items.type),
      body: itemBody('expired'),
      tls: t.tlsFor(t.certs.expired),
    });
    expect(result.ok).toBe(false);
    expect(await snapshot()).toBe(before);
  });

  it('should make the client refuse a server whose certificate another CA signed', async () => {
    const other = await generateCertificates({ roles: [] });
    const client = createRemoteState({ url: t.url, tls: { ca: other.ca.cert, ...t.certs.clients.admin } });
    try {
      const error = await client.list(Items.kind()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        status: 0,
        code: 'Unavailable',
        cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' },
      });
    } finally {
      await client.close?.();
    }
  });

  it('should answer 403 to a certificate of the right CA without a role', async () => {
    const result = await rawRequest(t.url, {
      path: resourcePath('default', Items.type),
      tls: t.tlsFor(t.certs.noRole),
    });
    expect(result.ok && result.status).toBe(403);
    expect(jsonOf(result).error.code).toBe('Forbidden');
  });

  it('should report the role of the caller on whoami', async () => {
    for (const role of ['reader', 'operator', 'admin'] as const) {
      expect(jsonOf(await send(role, { path: '/v1/whoami' }))).toEqual({ name: role, role });
    }
  });
});

describe('api security: roles', () => {
  it('should refuse every write of a reader with 403 and leave the store unchanged', async () => {
    const before = await snapshot();
    const existing = await t.state.get(Items.pointer('existing'));
    const attempts: Omit<RawRequestOptions, 'tls'>[] = [
      { method: 'POST', path: resourcePath('default', Items.type), body: itemBody('new') },
      {
        method: 'PUT',
        path: resourcePath('default', Items.type, 'existing'),
        body: JSON.stringify({ ...existing, spec: { value: 99 } }),
      },
      { method: 'DELETE', path: resourcePath('default', Items.type, 'existing') },
      { method: 'POST', path: `${resourcePath('default', Items.type, 'existing')}/teardown` },
      {
        method: 'POST',
        path: '/v1/transaction',
        body: JSON.stringify({ ops: [{ op: 'destroy', pointer: Items.pointer('existing') }] }),
      },
    ];
    for (const attempt of attempts) {
      const result = await send('reader', { ...attempt, headers: { 'content-type': 'application/json' } });
      expect(result.ok && result.status, `${attempt.method} ${attempt.path}`).toBe(403);
      const body = jsonOf(result);
      expect(body.error.code).toBe('Forbidden');
      expect(body.error.message).toContain('converge:operator');
    }
    expect(await snapshot()).toBe(before);
  });

  it('should refuse an operator writing a sensitive type or the meta namespace, and let it write others', async () => {
    const before = await snapshot();
    const secret = await send('operator', {
      method: 'POST',
      path: resourcePath('secrets', Secrets.type),
      body: JSON.stringify(Secrets.make('new', { token: 'x' })),
    });
    expect(secret.ok && secret.status).toBe(403);
    expect(jsonOf(secret).error.message).toContain('sensitive');
    const destroySecret = await send('operator', {
      method: 'DELETE',
      path: resourcePath('secrets', Secrets.type, 'token'),
    });
    expect(destroySecret.ok && destroySecret.status).toBe(403);
    const meta = await send('operator', {
      method: 'DELETE',
      path: resourcePath('meta', ResourceDefinitions.type, Secrets.type.toLowerCase()),
    });
    expect(meta.ok && meta.status).toBe(403);
    expect(await snapshot()).toBe(before);

    const ok = await send('operator', {
      method: 'POST',
      path: resourcePath('default', Items.type),
      body: itemBody('op'),
    });
    expect(ok.ok && ok.status).toBe(201);
    await t.state.destroy(Items.pointer('op'));
  });

  it('should redact sensitive specs for readers and operators, and not for admins', async () => {
    for (const role of ['reader', 'operator'] as const) {
      const one = jsonOf(await send(role, { path: resourcePath('secrets', Secrets.type, 'token') }));
      expect(one.spec).toBe('<redacted>');
      expect(one.metadata.id).toBe('token');
      const list = jsonOf(await send(role, { path: resourcePath('secrets', Secrets.type) }));
      expect(list.items.map((r: { spec: unknown }) => r.spec)).toEqual(['<redacted>']);
    }
    const admin = jsonOf(await send('admin', { path: resourcePath('secrets', Secrets.type, 'token') }));
    expect(admin.spec).toEqual({ token: 's3cret' });
  });

  it('should redact sensitive specs in a reader watch', async () => {
    const reader = t.client('reader');
    const first = await new Promise<unknown>((resolve, reject) => {
      const sub = reader.watch(Secrets.pointer('token')).subscribe({
        next: (e) => {
          sub.unsubscribe();
          resolve(e.type === 'created' ? e.resource.spec : e.type);
        },
        error: reject,
      });
    });
    expect(first).toBe('<redacted>');
  });
});

describe('api security: malformed requests', () => {
  async function expectRefused(
    attempt: Omit<RawRequestOptions, 'tls'>,
    status: number,
    code: string,
  ): Promise<{ error: { message: string; issues?: unknown[] } }> {
    const before = await snapshot();
    const result = await send('admin', attempt);
    expect(result.ok && result.status, `${attempt.method ?? 'GET'} ${attempt.path.slice(0, 80)}`).toBe(
      status,
    );
    const body = jsonOf(result);
    expect(body.error.code).toBe(code);
    expect(await snapshot()).toBe(before);
    return body;
  }

  it('should answer 400 to malformed JSON', async () => {
    const body = await expectRefused(
      { method: 'POST', path: resourcePath('default', Items.type), body: '{"metadata": {' },
      400,
      'MalformedBody',
    );
    expect(body.error.message).toContain('malformed JSON');
  });

  it('should answer 400 with the issues to fields of the wrong type', async () => {
    const body = await expectRefused(
      {
        method: 'POST',
        path: resourcePath('default', Items.type),
        body: JSON.stringify({
          metadata: { namespace: 'default', type: Items.type, id: 'x', version: 'one', labels: { a: 1 } },
          spec: { value: 1 },
        }),
      },
      400,
      'Validation',
    );
    const paths = body.error.issues!.map((i) => (i as { path: unknown[] }).path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['metadata.version', 'metadata.labels.a']));
  });

  it('should answer 400 with the zod issues to a spec that fails its schema', async () => {
    const body = await expectRefused(
      { method: 'POST', path: resourcePath('default', Items.type), body: itemBody('bad', 'not a number') },
      400,
      'Validation',
    );
    expect(body.error.issues).toEqual([expect.objectContaining({ path: ['value'], code: 'invalid_type' })]);
    expect(body.error.message).toContain(`${Items.type}(default/bad)`);
  });

  it('should answer 404 naming the type to every verb on an unknown type, reads and watches included', async () => {
    const made = 'Madeups.api.test.converge.dev';
    const body = JSON.stringify({ metadata: { namespace: 'default', type: made, id: 'u' }, spec: {} });
    const attempts: [role: 'reader' | 'operator', Omit<RawRequestOptions, 'tls'>][] = [
      ['reader', { path: resourcePath('default', made) }],
      ['reader', { path: resourcePath('default', made, 'u') }],
      ['reader', { path: resourcePath('default', made, undefined, true) }],
      ['reader', { path: `${resourcePath('default', made, undefined, true)}?bootstrapContents=true` }],
      ['reader', { path: resourcePath('default', made, 'u', true) }],
      ['operator', { method: 'POST', path: resourcePath('default', made), body }],
      ['operator', { method: 'PUT', path: resourcePath('default', made, 'u'), body }],
      ['operator', { method: 'DELETE', path: resourcePath('default', made, 'u') }],
      ['operator', { method: 'POST', path: `${resourcePath('default', made, 'u')}/teardown` }],
      [
        'operator',
        {
          method: 'POST',
          path: '/v1/transaction',
          body: JSON.stringify({
            ops: [{ op: 'destroy', pointer: { namespace: 'default', type: made, id: 'u' } }],
          }),
        },
      ],
    ];
    for (const [role, attempt] of attempts) {
      const result = await send(role, attempt);
      const what = `${attempt.method ?? 'GET'} ${attempt.path}`;
      expect(result.ok && result.status, what).toBe(404);
      const { error } = jsonOf(result);
      expect(error.code, what).toBe('UnknownType');
      expect(error.message, what).toContain(made);
    }
  });

  it('should answer 404 to an unknown type, 400 to extra fields and a body that does not match its path', async () => {
    const unknown = await expectRefused(
      {
        method: 'POST',
        path: resourcePath('default', 'Unknowns.api.test.converge.dev'),
        body: JSON.stringify({
          metadata: { namespace: 'default', type: 'Unknowns.api.test.converge.dev', id: 'u' },
          spec: {},
        }),
      },
      404,
      'UnknownType',
    );
    expect(unknown.error.message).toContain('Unknowns.api.test.converge.dev');
    await expectRefused(
      {
        method: 'POST',
        path: resourcePath('default', Items.type),
        body: JSON.stringify({
          metadata: { namespace: 'default', type: Items.type, id: 'x' },
          spec: { value: 1 },
          extra: 1,
        }),
      },
      400,
      'Validation',
    );
    await expectRefused(
      { method: 'POST', path: resourcePath('other', Items.type), body: itemBody('x') },
      400,
      'Validation',
    );
  });

  it('should answer 400 to a body nested deeper than the limit, for any schema', async () => {
    const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;
    const body = await expectRefused(
      {
        method: 'POST',
        path: resourcePath('default', Anys.type),
        body: `{"metadata":{"namespace":"default","type":"${Anys.type}","id":"deep"},"spec":${deep}}`,
      },
      400,
      'MalformedBody',
    );
    expect(body.error.message).toContain('deeper than 64 levels');
  });

  it('should answer 413 to a body over the limit', async () => {
    const huge = JSON.stringify({
      metadata: { namespace: 'default', type: Items.type, id: 'huge' },
      spec: { value: 1, note: 'x'.repeat(200 * 1024) },
    });
    const body = await expectRefused(
      { method: 'POST', path: resourcePath('default', Items.type), body: huge },
      413,
      'PayloadTooLarge',
    );
    expect(body.error.message).toContain(String(64 * 1024));
  });

  it('should answer 4xx to huge ids in the body and in the path', async () => {
    await expectRefused(
      { method: 'POST', path: resourcePath('default', Items.type), body: itemBody('i'.repeat(5000)) },
      400,
      'Validation',
    );
    await expectRefused({ path: resourcePath('default', Items.type, 'i'.repeat(5000)) }, 400, 'Validation');
    const before = await snapshot();
    const headerOverflow = await send('admin', {
      path: resourcePath('default', Items.type, 'i'.repeat(40_000)),
    });
    expect(headerOverflow.ok && headerOverflow.status).toBe(431);
    expect(await snapshot()).toBe(before);
  });

  it('should answer 410 to a bookmark from another store, a malformed one and an overlong one', async () => {
    await expectRefused(
      { path: `${resourcePath('default', Items.type, undefined, true)}?startFromBookmark=zzzz.0.1` },
      410,
      'InvalidBookmark',
    );
    await expectRefused(
      {
        path: `${resourcePath('default', Items.type, undefined, true)}?startFromBookmark=${'b'.repeat(2000)}`,
      },
      410,
      'InvalidBookmark',
    );
    await expectRefused(
      { path: `${resourcePath('default', Items.type, 'existing', true)}?startFromBookmark=not-a-bookmark` },
      410,
      'InvalidBookmark',
    );
  });

  it('should answer 400 to unknown or conflicting query parameters, 404 to unknown routes and 405 to wrong methods', async () => {
    await expectRefused({ path: `${resourcePath('default', Items.type)}?color=red` }, 400, 'BadRequest');
    await expectRefused(
      { path: `${resourcePath('default', Items.type, undefined, true)}?bootstrapContents=true&tailEvents=3` },
      400,
      'BadRequest',
    );
    await expectRefused({ path: `${resourcePath('default', Items.type)}?idQuery=(` }, 400, 'BadRequest');
    // Backreferences have no linear-time matching: refused rather than run on the event loop.
    await expectRefused(
      { path: `${resourcePath('default', Items.type)}?idQuery=${encodeURIComponent('(a)\\1')}` },
      400,
      'BadRequest',
    );
    await expectRefused(
      { path: `${resourcePath('default', Items.type)}?labelQuery=[[{"op":"near"}]]` },
      400,
      'Validation',
    );
    await expectRefused({ path: '/v2/anything' }, 404, 'RouteNotFound');
    await expectRefused(
      { method: 'PATCH', path: resourcePath('default', Items.type, 'existing') },
      405,
      'MethodNotAllowed',
    );
  });

  it('should answer 415 to a body in an unsupported media type', async () => {
    await expectRefused(
      {
        method: 'POST',
        path: resourcePath('default', Items.type),
        body: itemBody('x'),
        headers: { 'content-type': 'text/plain' },
      },
      415,
      'UnsupportedMediaType',
    );
  });

  it('should refuse a client more watches than its limit with 429', async () => {
    const admin = t.client('admin');
    const subs = [0, 1, 2].map(() => admin.watchKind(Items.kind()).subscribe({ error: () => {} }));
    // Wait until the server holds all three.
    for (let i = 0; i < 200 && t.server.stats().watches < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.server.stats().watches).toBe(3);
    const error = await new Promise<unknown>((resolve) => {
      admin.watchKind(Items.kind()).subscribe({ error: resolve });
    });
    expect(error).toMatchObject({ status: 429, code: 'TooManyWatches' });
    for (const s of subs) s.unsubscribe();
  });
});
