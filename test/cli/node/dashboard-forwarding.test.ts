import { request } from 'node:http';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/api/api-error.js';
import { generateCa, issueCertificate } from '../../../src/api/certificates.js';
import { isOwnHost, matchDashboardRequest, nodeBase } from '../../../src/cli/node/dashboard-forwarding.js';
import { createDashboardServer, type DashboardServer } from '../../../src/cli/node/dashboard-server.js';

const nodes = new Set(['cp-1', 'worker 1']);
const match = (url: string, method = 'GET', body = false) => matchDashboardRequest(method, url, body, nodes);

function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return { status: (error as ApiError).status, message: (error as ApiError).message };
  }
  throw new Error('expected a refusal');
}

describe('the dashboard server forwarding rules', () => {
  it('should serve the page files and forward the routes the page reads, rebuilt from their parts', () => {
    expect(match('/')).toEqual({ kind: 'file', file: 'index.html' });
    expect(match('/dashboard.js')).toEqual({ kind: 'file', file: 'dashboard.js' });
    expect(match('/nodes.json')).toEqual({ kind: 'file', file: 'nodes.json' });
    expect(match('/nodes/cp-1/v1/node/info')).toEqual({
      kind: 'forward',
      target: { node: 'cp-1', path: '/v1/node/info', stream: false },
    });
    expect(match(`${nodeBase('worker 1')}/v1/node/events?tail=15&follow=true`)).toEqual({
      kind: 'forward',
      target: { node: 'worker 1', path: '/v1/node/events?tail=15&follow=true', stream: true },
    });
    expect(match('/nodes/cp-1/v1/node/events?tail=3')).toMatchObject({ target: { stream: false } });
    expect(match('/nodes/cp-1/v1/node/health?timeoutSeconds=5')).toMatchObject({
      target: { path: '/v1/node/health?timeoutSeconds=5', stream: true },
    });
    expect(match('/nodes/cp-1/v1/node/graph?format=svg')).toMatchObject({
      target: { path: '/v1/node/graph?format=svg', stream: false },
    });
    expect(
      match('/nodes/cp-1/v1/watch/runtime/MachineStatuses.runtime.talos.dev?bootstrapContents=true'),
    ).toMatchObject({
      target: {
        path: '/v1/watch/runtime/MachineStatuses.runtime.talos.dev?bootstrapContents=true',
        stream: true,
      },
    });
    const live = match(
      `/live?s=${encodeURIComponent('/nodes/cp-1/v1/node/events?follow=1')}&s=${encodeURIComponent('/nodes/worker%201/v1/watch/etcd/EtcdMembers.etcd.talos.dev')}`,
    );
    expect(live).toEqual({
      kind: 'live',
      streams: [
        { node: 'cp-1', path: '/v1/node/events?follow=1', stream: true },
        { node: 'worker 1', path: '/v1/watch/etcd/EtcdMembers.etcd.talos.dev', stream: true },
      ],
    });
  });

  it('should refuse writes, bodies, unknown nodes and paths outside the allow-list', () => {
    expect(refusal(() => match('/nodes/cp-1/v1/node/info', 'POST'))).toMatchObject({ status: 405 });
    expect(refusal(() => match('/nodes/cp-1/v1/node/reboot', 'POST'))).toMatchObject({ status: 405 });
    expect(refusal(() => match('/nodes/cp-1/v1/node/info', 'DELETE'))).toMatchObject({ status: 405 });
    expect(refusal(() => match('/nodes/cp-1/v1/node/info', 'GET', true))).toMatchObject({ status: 400 });
    expect(refusal(() => match('/nodes/cp-9/v1/node/info'))).toMatchObject({
      status: 404,
      message: expect.stringContaining('"cp-9" is not one of'),
    });
    for (const path of [
      '/nodes/cp-1/v1/node/reboot',
      '/nodes/cp-1/v1/node/config/history',
      '/nodes/cp-1/v1/node/services/etcd/logs',
      '/nodes/cp-1/v1/resources/runtime/MachineStatuses.runtime.talos.dev',
      '/nodes/cp-1/v1/watch/secrets/OSRootSecrets.secrets.talos.dev',
      '/nodes/cp-1/v1/watch/runtime/MachineStatuses.runtime.talos.dev/machine',
      '/nodes/cp-1/dashboard/',
      '/nodes/cp-1/v1/node/info/../../node/reboot',
      '/nodes/cp-1/v1/node/%2e%2e/reboot',
      '/nodes/cp-1/v1%2Fnode%2Finfo',
      '/etc/passwd',
      '/nodes',
    ]) {
      expect(refusal(() => match(path)).status, path).toBe(404);
    }
    expect(refusal(() => match('/nodes/cp-1/v1/node/events?tail=1&tail=2'))).toMatchObject({ status: 400 });
    expect(refusal(() => match('/nodes/cp-1/v1/node/events?since=1'))).toMatchObject({ status: 400 });
    expect(refusal(() => match('/nodes/cp-1/v1/node/graph?format=%0d%0aX:1'))).toMatchObject({ status: 400 });
    expect(refusal(() => match('/nodes/%E0%A4%A/v1/node/info'))).toMatchObject({ status: 400 });
    expect(refusal(() => match('http://evil.example/nodes/cp-1/v1/node/info'))).toMatchObject({
      status: 400,
    });
    expect(refusal(() => match('//evil.example/'))).toMatchObject({ status: 400 });
    expect(refusal(() => match('/?x=1'))).toMatchObject({ status: 400 });
    // The multiplexed endpoint takes streams only, each within the same rules.
    const one = (p: string) => `/live?s=${encodeURIComponent(p)}`;
    expect(refusal(() => match(one('/nodes/cp-1/v1/node/info')))).toMatchObject({ status: 400 });
    expect(refusal(() => match(one('/nodes/cp-1/v1/node/reboot')))).toMatchObject({ status: 404 });
    expect(refusal(() => match(one('/nodes/nope/v1/node/health')))).toMatchObject({ status: 404 });
    expect(refusal(() => match('/live'))).toMatchObject({ status: 400 });
    expect(refusal(() => match('/live?s=/nodes/cp-1/v1/node/health&x=1'))).toMatchObject({ status: 400 });
    const many = Array.from({ length: 257 }, () => 's=/nodes/cp-1/v1/node/health').join('&');
    expect(refusal(() => match(`/live?${many}`))).toMatchObject({ status: 400 });
  });

  it('should answer any hostile request target with a forward inside the allow-list or a 4xx, never a crash', () => {
    const piece = fc.constantFrom(
      '/',
      '..',
      '.',
      '%2e',
      '%2F',
      '%',
      '%zz',
      '?',
      '&',
      '#',
      'nodes',
      'cp-1',
      'worker%201',
      'v1',
      'node',
      'info',
      'watch',
      'runtime',
      'MachineStatuses.runtime.talos.dev',
      'reboot',
      'live',
      's=',
      'follow=true',
      '\\',
      '\u0000',
      ' ',
      'é',
      '//',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 14 }),
        fc.constantFrom('GET', 'POST', 'PUT'),
        (parts, method) => {
          const url = parts.join('');
          let answer: ReturnType<typeof match>;
          try {
            answer = match(url, method);
          } catch (error) {
            expect(error).toBeInstanceOf(ApiError);
            expect((error as ApiError).status).toBeGreaterThanOrEqual(400);
            expect((error as ApiError).status).toBeLessThan(500);
            return;
          }
          expect(method).toBe('GET');
          const targets =
            answer.kind === 'forward' ? [answer.target] : answer.kind === 'live' ? answer.streams : [];
          for (const t of targets) {
            expect(nodes.has(t.node)).toBe(true);
            expect(t.path).toMatch(
              /^\/v1\/(node\/(info|events|health|graph)|watch\/[a-z]+\/[A-Za-z0-9.]+)(\?[A-Za-z0-9.=&_-]*)?$/,
            );
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('should take only its own host names, against DNS rebinding', () => {
    expect(isOwnHost('127.0.0.1:8080', '127.0.0.1', 8080)).toBe(true);
    expect(isOwnHost('localhost:8080', '127.0.0.1', 8080)).toBe(true);
    expect(isOwnHost('[::1]:8080', '::1', 8080)).toBe(true);
    expect(isOwnHost('evil.example:8080', '127.0.0.1', 8080)).toBe(false);
    expect(isOwnHost('127.0.0.1:8081', '127.0.0.1', 8080)).toBe(false);
    expect(isOwnHost(undefined, '127.0.0.1', 8080)).toBe(false);
  });
});

describe('the dashboard server', () => {
  let server: DashboardServer;
  let url: URL;

  function get(path: string, options: { method?: string; host?: string; body?: string } = {}) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: options.method ?? 'GET',
          headers: {
            host: options.host ?? url.host,
            ...(options.body === undefined ? {} : { 'content-length': Buffer.byteLength(options.body) }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => {
            text += d.toString('utf8');
            // The multiplexed stream never ends by itself: its first line is enough here.
            if (path.startsWith('/live') && text.includes('\n')) res.destroy();
          });
          res.on('close', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  beforeAll(async () => {
    const ca = await generateCa({ commonName: 'test CA' });
    const client = await issueCertificate(ca, { usage: 'client', commonName: 'admin', roles: ['admin'] });
    // Nothing listens on 127.0.0.79:9: the node is down.
    server = createDashboardServer({
      nodes: [{ name: 'gone', endpoint: 'https://127.0.0.79:9' }],
      tls: { ca: ca.cert, cert: client.cert, key: client.key },
      host: '127.0.0.78',
      port: 0,
      logger: pino({ level: 'silent' }),
      maxOpenRequests: 2,
    });
    url = new URL(await server.listen());
  });

  afterAll(() => server.close());

  it('should name every node with its base path and multiplexed endpoint in nodes.json', async () => {
    const answer = await get('/nodes.json');
    expect(JSON.parse(answer.text)).toEqual([{ name: 'gone', base: '/nodes/gone', live: '/live' }]);
    expect((await get('/')).text).toContain('<script type="module" src="dashboard.js">');
  });

  it('should answer a node that is down with 502 naming it, and report it lost on the multiplexed stream', async () => {
    const info = await get('/nodes/gone/v1/node/info');
    expect(info.status).toBe(502);
    expect(JSON.parse(info.text).error.message).toMatch(
      /^node gone is unreachable: cannot reach https:\/\/127\.0\.0\.79:9/,
    );
    const live = await get(`/live?s=${encodeURIComponent('/nodes/gone/v1/node/events?follow=true')}`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.text.split('\n')[0]!)).toMatchObject({
      s: 0,
      lost: expect.stringContaining('ECONNREFUSED'),
    });
    expect(server.unreachable()).toEqual(['gone']);
  });

  it('should refuse writes, bodies and foreign Host headers over HTTP', async () => {
    expect((await get('/nodes/gone/v1/node/reboot', { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await get('/nodes/gone/v1/node/info', { body: 'x' })).status).toBe(400);
    const rebound = await get('/nodes.json', { host: `evil.example:${url.port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.text).not.toContain('gone');
    expect((await get('/nodes/../../etc/passwd')).status).toBe(404);
    expect(server.stats.refused).toBeGreaterThanOrEqual(4);
    // Three streams of at most two open node requests.
    const s = encodeURIComponent('/nodes/gone/v1/node/health');
    const tooMany = await get(`/live?s=${s}&s=${s}&s=${s}`);
    expect(tooMany.status).toBe(503);
    expect(JSON.parse(tooMany.text).error.message).toContain('already holds 0 node requests open');
  });
});
