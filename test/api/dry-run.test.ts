import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resourcePath } from '../../src/api/routes.js';
import { defineResource } from '../../src/runtime/resource/define-resource.js';
import { Items, startTestServer, type TestServer } from './helpers/fixture.js';
import { jsonOf, type RawRequestOptions, rawRequest } from './helpers/raw-request.js';

const Nesteds = defineResource({
  type: 'Nesteds.api.test.converge.dev',
  spec: z.object({
    replicas: z.number().default(1),
    template: z
      .object({ image: z.string(), ports: z.array(z.object({ port: z.number() })).default([]) })
      .optional(),
    extra: z.record(z.string(), z.string()).default({}),
  }),
});

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.state.create(Items.make('mine', { value: 1 }));
  await t.state.create(Items.make('theirs', { value: 1 }), { owner: 'ItemController' });
});

afterAll(async () => {
  await t.close();
});

const send = (options: Omit<RawRequestOptions, 'tls'>) =>
  rawRequest(t.url, { ...options, tls: t.tlsFor(t.certs.clients.operator) });

const body = (type: string, id: string, spec: unknown, version?: number) =>
  JSON.stringify({ metadata: { namespace: 'default', type, id, ...(version ? { version } : {}) }, spec });

async function snapshot(): Promise<string> {
  return JSON.stringify([await t.state.list(Items.kind()), await t.state.list(Nesteds.kind())]);
}

describe('api dry run through the real write path', () => {
  it('should give a dry run the real write verdict, and store nothing either way', async () => {
    const before = await snapshot();
    const update = (id: string, version: number, dry: boolean) =>
      send({
        method: 'PUT',
        path: `${resourcePath('default', Items.type, id)}${dry ? '?dryRun=true' : ''}`,
        body: body(Items.type, id, { value: 2 }, version),
      });
    // A controller's output: refused as the real write is, saying whose it is.
    for (const dry of [true, false]) {
      const refused = await update('theirs', 1, dry);
      expect(refused.ok && refused.status).toBe(409);
      const { error } = jsonOf(refused);
      expect(error.code).toBe('OwnerConflict');
      expect(error.message).toContain('stored owner "ItemController"');
      expect(error.hint).toContain('is owned by controller "ItemController"');
      expect(error.hint).toContain('not for hand edits');
    }
    // A stale version, and a create of an id that exists.
    const stale = await update('mine', 7, true);
    expect(stale.ok && stale.status).toBe(409);
    expect(jsonOf(stale).error.code).toBe('Conflict');
    const exists = await send({
      method: 'POST',
      path: `${resourcePath('default', Items.type)}?dryRun=true`,
      body: body(Items.type, 'mine', { value: 1 }),
    });
    expect(exists.ok && exists.status).toBe(409);
    expect(await snapshot()).toBe(before);
    // What passes answers 200 with the normalised resource, and still stores nothing.
    const ok = await update('mine', 1, true);
    expect(ok.ok && ok.status).toBe(200);
    expect(jsonOf(ok).spec).toEqual({ value: 2, note: '' });
    const created = await send({
      method: 'POST',
      path: `${resourcePath('default', Items.type)}?dryRun=true`,
      body: body(Items.type, 'new', { value: 3 }),
    });
    expect(created.ok && created.status).toBe(200);
    expect(await snapshot()).toBe(before);
    // The real write then does what the dry run said.
    expect((await update('mine', 1, false)).ok).toBe(true);
    expect((await t.state.get(Items.pointer('mine'))).spec.value).toBe(2);
  });

  it('should refuse unknown spec fields with their path on create, update and transactions', async () => {
    const before = await snapshot();
    const attempts: Omit<RawRequestOptions, 'tls'>[] = [
      {
        method: 'POST',
        path: resourcePath('default', Items.type),
        body: body(Items.type, 'typo', { value: 1, valeu: 3 }),
      },
      {
        method: 'PUT',
        path: resourcePath('default', Items.type, 'mine'),
        body: body(Items.type, 'mine', { value: 1, valeu: 3 }),
      },
      {
        method: 'POST',
        path: '/v1/transaction',
        body: JSON.stringify({
          ops: [{ op: 'create', resource: JSON.parse(body(Items.type, 'tx', { value: 1, valeu: 3 })) }],
        }),
      },
    ];
    for (const attempt of attempts) {
      const refused = await send(attempt);
      expect(refused.ok && refused.status, attempt.method).toBe(400);
      const { error } = jsonOf(refused);
      expect(error.code).toBe('Validation');
      expect(error.issues).toEqual([
        expect.objectContaining({ path: ['spec', 'valeu'], message: 'unknown field' }),
      ]);
    }
    // Nested objects and lists of objects are strict too; records take any key.
    const nested = await send({
      method: 'POST',
      path: resourcePath('default', Nesteds.type),
      body: body(Nesteds.type, 'n', {
        replicsa: 3,
        template: { image: 'x', imagee: 'y', ports: [{ port: 1 }, { port: 2, prot: 'tcp' }] },
        extra: { anything: 'goes' },
      }),
    });
    expect(nested.ok && nested.status).toBe(400);
    const paths = jsonOf(nested).error.issues.map((i: { path: unknown[] }) => i.path.join('.'));
    expect(paths.sort()).toEqual(['spec.replicsa', 'spec.template.imagee', 'spec.template.ports.1.prot']);
    expect(await snapshot()).toBe(before);
    const fine = await send({
      method: 'POST',
      path: resourcePath('default', Nesteds.type),
      body: body(Nesteds.type, 'n', { template: { image: 'x', ports: [{ port: 1 }] }, extra: { a: 'b' } }),
    });
    expect(fine.ok && fine.status).toBe(201);
  });
});
