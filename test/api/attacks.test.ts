import { firstValueFrom, takeWhile, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteState } from '../../src/api/remote-state.js';
import { resourcePath } from '../../src/api/routes.js';
import { type ChildServer, startChildServer } from './helpers/child-server.js';
import { Anys, Items, type TestCertificates, testCertificates } from './helpers/fixture.js';
import { type RawRequestOptions, type RawResult, rawRequest } from './helpers/raw-request.js';

/**
 * Requests that once stopped or stalled the server (a crash on deep YAML, regexes that backtrack,
 * quadratic duplicate-key checks, error answers larger than their requests), each against a server
 * in its own process: it must answer every one, stay up, and keep answering another client.
 */

let certs: TestCertificates;
let server: ChildServer;

function send(role: 'reader' | 'operator', options: Omit<RawRequestOptions, 'tls'>): Promise<RawResult> {
  return rawRequest(server.url, {
    ...options,
    tls: { ca: certs.ca.cert, ...certs.clients[role] },
  });
}

function statusOf(result: RawResult): number {
  if (!result.ok) throw result.error;
  return result.status;
}

/**
 * Runs an attack (its requests in flight at once) while another client asks who it is, and returns
 * the attack's answers, how much longer the other client waited than without the attack, and the
 * server's CPU time per attack request.
 */
async function underAttack(requests: (() => Promise<RawResult>)[]) {
  // What the other client waits on this machine anyway (it is shared): only the excess counts.
  let started = performance.now();
  expect(statusOf(await send('reader', { path: '/v1/whoami' }))).toBe(200);
  const baselineMs = performance.now() - started;
  const cpuBefore = await server.cpuMs();
  const attacks = requests.map((r) => r());
  started = performance.now();
  const other = await send('reader', { path: '/v1/whoami' });
  const otherMs = performance.now() - started - baselineMs;
  const answers = await Promise.all(attacks);
  const cpuPerRequest = ((await server.cpuMs()) - cpuBefore) / requests.length;
  expect(statusOf(other)).toBe(200);
  expect(server.process.exitCode).toBeNull();
  return { answers, otherMs, cpuPerRequest };
}

const repeat = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

beforeAll(async () => {
  certs = await testCertificates();
  server = await startChildServer(certs);
  const create = (id: string) =>
    send('operator', {
      method: 'POST',
      path: resourcePath('default', Items.type),
      body: JSON.stringify({ metadata: { namespace: 'default', type: Items.type, id }, spec: { value: 1 } }),
    });
  for (let i = 0; i < 40; i++)
    expect(statusOf(await create(`item-${String(i).padStart(10, '0')}`))).toBe(201);
  expect(statusOf(await create('a'.repeat(400)))).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('api under attack, in a child process', () => {
  it('should refuse deeply nested YAML bodies with 400, without a crash', { timeout: 120_000 }, async () => {
    const yamlPost = (text: string) => () =>
      send('operator', {
        method: 'POST',
        path: resourcePath('default', Anys.type),
        headers: { 'content-type': 'application/yaml' },
        body: `metadata:\n  namespace: default\n  type: ${Anys.type}\n  id: deep\nspec: ${text}\n`,
      });
    // About twenty requests at 1,900 levels used to kill the process.
    const depths = [1_800, ...repeat(20, () => 1_900), 5_000, 30_000];
    for (const n of depths) {
      const { answers, otherMs, cpuPerRequest } = await underAttack(
        repeat(2, () => yamlPost(`${'['.repeat(n)}${']'.repeat(n)}`)),
      );
      for (const a of answers) {
        expect(statusOf(a)).toBe(400);
        expect(a.ok && a.body).toMatch(/nests deeper than 64 levels/);
      }
      expect(otherMs).toBeLessThan(1_000);
      expect(cpuPerRequest).toBeLessThan(250);
    }
    // Block nesting, by indentation and by compact sequences.
    const block = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i + 2)}k:`).join('\n');
    const { answers } = await underAttack([yamlPost(`\n${block} 1`), yamlPost('- '.repeat(30_000))]);
    for (const a of answers) expect(statusOf(a)).toBe(400);
  });

  it('should match id queries in linear time, in lists and in watch filters', {
    timeout: 120_000,
  }, async () => {
    const list = (source: string) => () =>
      send('reader', {
        path: `${resourcePath('default', Items.type)}?idQuery=${encodeURIComponent(source)}`,
      });
    // A watch with a bootstrap filters every stored id before its `bootstrapped` line.
    const watch = (source: string) => async (): Promise<RawResult> => {
      const client = createRemoteState({
        url: server.url,
        tls: { ca: certs.ca.cert, ...certs.clients.reader },
      });
      try {
        const events = await firstValueFrom(
          client.watchKind(Items.kind(), { bootstrapContents: true, idQuery: new RegExp(source) }).pipe(
            takeWhile((e) => e.type !== 'bootstrapped'),
            toArray(),
          ),
        );
        return { ok: true, status: 200, body: JSON.stringify({ items: events }), headers: {} };
      } finally {
        await client.close?.();
      }
    };
    for (const source of [`${'.{0,16}'.repeat(20)}!`, '.*.*.*!', '(a|aa)*c$']) {
      const { answers, otherMs, cpuPerRequest } = await underAttack([
        list(source),
        list(source),
        watch(source),
      ]);
      for (const a of answers) {
        expect(statusOf(a)).toBe(200);
        expect(a.ok && JSON.parse(a.body)).toEqual({ items: [] });
      }
      expect(otherMs).toBeLessThan(1_000);
      expect(cpuPerRequest).toBeLessThan(250);
    }
  });

  it('should check duplicate keys in linear time, and refuse YAML bodies past their own limit', {
    timeout: 120_000,
  }, async () => {
    const keysBody = (n: number, duplicate: boolean) => {
      const lines = Array.from({ length: n }, (_, i) => `  k${i}: 1`);
      if (duplicate) lines.push('  k5: 2');
      return `metadata:\n  namespace: default\n  type: ${Anys.type}\n  id: keys\nspec:\n${lines.join('\n')}\n`;
    };
    const post = (body: string) => () =>
      send('operator', {
        method: 'POST',
        path: resourcePath('default', Anys.type),
        headers: { 'content-type': 'application/yaml' },
        body,
      });
    // Just under the YAML limit, with the duplicate last: every key is checked.
    const near = keysBody(5_000, true);
    expect(Buffer.byteLength(near)).toBeLessThan(64 * 1024);
    const { answers, otherMs, cpuPerRequest } = await underAttack([post(near)]);
    expect(statusOf(answers[0]!)).toBe(400);
    expect(answers[0]!.ok && answers[0]!.body).toMatch(/line 5006: duplicate key \\"k5\\"/);
    expect(otherMs).toBeLessThan(1_000);
    expect(cpuPerRequest).toBeLessThan(750);
    // The issue's 709 KB body of 60,000 keys: too large for YAML, answered at once.
    const big = keysBody(60_000, true);
    const refused = await underAttack([post(big)]);
    expect(statusOf(refused.answers[0]!)).toBe(413);
    expect(refused.cpuPerRequest).toBeLessThan(250);
  });

  it('should answer requests with thousands of issues with bounded errors', {
    timeout: 120_000,
  }, async () => {
    // The issue's 979 KB body with 90,000 invalid labels: refused by count, one issue.
    const labels = Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`l${i}`, 0]));
    const labelled = JSON.stringify({
      metadata: { namespace: 'default', type: Items.type, id: 'labels', labels },
      spec: { value: 1 },
    });
    expect(Buffer.byteLength(labelled)).toBeLessThan(1024 * 1024);
    // A transaction of 256 ops with every field wrong: about 1,800 issues.
    const bad = { namespace: 1, type: 1, id: 1, version: 'x', phase: 'x', owner: 1, finalizers: 'x' };
    const ops = Array.from({ length: 256 }, () => ({ op: 'create', resource: { metadata: bad, spec: 1 } }));
    const labelAttack = await underAttack([
      () => send('operator', { method: 'POST', path: resourcePath('default', Items.type), body: labelled }),
    ]);
    const opsAttack = await underAttack([
      () => send('operator', { method: 'POST', path: '/v1/transaction', body: JSON.stringify({ ops }) }),
    ]);
    const answers = [...labelAttack.answers, ...opsAttack.answers];
    for (const answer of answers) {
      expect(statusOf(answer)).toBe(400);
      expect(answer.ok && answer.body.length).toBeLessThan(16 * 1024);
    }
    const labelError = JSON.parse(answers[0]!.ok ? answers[0]!.body : '').error;
    expect(labelError.issues).toEqual([
      expect.objectContaining({ path: ['metadata', 'labels'], message: 'at most 256 entries' }),
    ]);
    const opsError = JSON.parse(answers[1]!.ok ? answers[1]!.body : '').error;
    expect(opsError.code).toBe('Validation');
    expect(opsError.issues).toHaveLength(20);
    expect(opsError.issuesOmitted).toBeGreaterThan(1_000);
    expect(opsError.message).toMatch(/issues in all\)$/);
    for (const attack of [labelAttack, opsAttack]) {
      expect(attack.otherMs).toBeLessThan(1_000);
      expect(attack.cpuPerRequest).toBeLessThan(750);
    }
  });
});
