import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type PemKeyPair } from '../../../src/api/certificates.js';
import { type NodeDaemon, startNodeDaemon } from '../../../src/node/daemon/node-daemon.js';

let dir: string;
let daemon: NodeDaemon;
const certs: Partial<Record<'admin' | 'operator' | 'reader', PemKeyPair>> = {};
let ca = '';

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

function call(
  role: 'admin' | 'operator' | 'reader',
  method: string,
  path: string,
  body?: string,
): Promise<Answer> {
  const url = new URL(path, daemon.url);
  const cert = certs[role]!;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        ca,
        cert: cert.cert,
        key: cert.key,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString('utf8');
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const errorOf = (a: Answer) => (JSON.parse(a.text) as { error: { code: string; message: string } }).error;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'converge-node-api-'));
  await writeFile(join(dir, 'machine.yaml'), 'version: v1alpha1\nmachine:\n  type: worker\n');
  daemon = await startNodeDaemon({
    configPath: join(dir, 'machine.yaml'),
    stateDir: join(dir, 'state'),
    address: '127.0.0.1',
    port: 0,
    platform: 'simulated',
    logger: pino({ level: 'silent' }),
  });
  await daemon.node.booted();
  const pki = join(dir, 'state', 'pki');
  ca = await readFile(join(pki, 'ca.crt'), 'utf8');
  const caPair = { cert: ca, key: await readFile(join(pki, 'ca.key'), 'utf8') };
  for (const role of ['admin', 'operator', 'reader'] as const) {
    certs[role] = await issueCertificate(caPair, { usage: 'client', commonName: role, roles: [role] });
  }
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the node API', () => {
  it('should let a reader look and refuse it (and an operator) what needs more', async () => {
    const info = await call('reader', 'GET', '/v1/node/info');
    expect(info.status).toBe(200);
    expect(JSON.parse(info.text)).toMatchObject({
      address: '127.0.0.1',
      machineType: 'worker',
      version: 'v1.0.0',
      slot: 'A',
      stage: 'running',
    });
    const apply = await call('reader', 'POST', '/v1/node/apply-config', JSON.stringify({ config: 'x' }));
    expect(apply.status).toBe(403);
    expect(errorOf(apply).message).toContain('needs converge:admin');
    expect((await call('operator', 'POST', '/v1/node/upgrade', '{"image":"v1.1.0"}')).status).toBe(403);
    expect((await call('reader', 'POST', '/v1/node/reboot', '{}')).status).toBe(403);
    expect((await call('operator', 'POST', '/v1/node/bootstrap', '{}')).status).toBe(403);
  });

  it('should refuse an etcd bootstrap on a node that runs no etcd, naming why', async () => {
    const answer = await call('admin', 'POST', '/v1/node/bootstrap', '{}');
    expect(answer.status).toBe(409);
    expect(errorOf(answer).message).toContain('not a control plane');
  });

  it('should refuse bad input with a clear error and change nothing', async () => {
    const before = await call('admin', 'GET', '/v1/node/config/history');
    const big = JSON.stringify({ config: 'x'.repeat(2 * 1024 * 1024) });
    expect((await call('admin', 'POST', '/v1/node/apply-config', big)).status).toBe(413);
    const unknownField = await call(
      'admin',
      'POST',
      '/v1/node/apply-config',
      '{"config":"a: 1","force":true}',
    );
    expect(unknownField.status).toBe(400);
    expect(errorOf(unknownField).message).toContain('force');
    const badMode = await call('admin', 'POST', '/v1/node/apply-config', '{"config":"a: 1","mode":"now"}');
    expect(errorOf(badMode)).toMatchObject({ code: 'MalformedBody' });
    const badConfig = await call(
      'admin',
      'POST',
      '/v1/node/apply-config',
      JSON.stringify({ config: 'version: v1alpha1\nmachine:\n  type: bogus\n' }),
    );
    expect(badConfig.status).toBe(400);
    expect(errorOf(badConfig).message).toContain('machine.type (line 3, column 9)');
    const badImage = await call('admin', 'POST', '/v1/node/upgrade', '{"image":"latest"}');
    expect(badImage.status).toBe(400);
    expect(errorOf(badImage).message).toContain('invalid image');
    expect(await call('admin', 'GET', '/v1/node/config/history')).toEqual(before);
  });

  it('should answer unknown routes, methods, parameters and services with 4xx', async () => {
    expect((await call('reader', 'GET', '/v1/node/nope')).status).toBe(404);
    expect((await call('reader', 'POST', '/v1/node/services')).status).toBe(405);
    expect((await call('reader', 'GET', '/v1/node/events?bogus=1')).status).toBe(400);
    expect((await call('reader', 'GET', '/v1/node/events?tail=-1')).status).toBe(400);
    expect((await call('reader', 'GET', '/v1/node/services/nosuch/logs')).status).toBe(404);
    expect((await call('reader', 'GET', '/v1/node/graph?format=png')).status).toBe(400);
    expect((await call('reader', 'GET', '/dashboard/secret.txt')).status).toBe(404);
  });

  it('should serve the dependency graph as JSON, DOT and SVG, and the dashboard', async () => {
    const json = JSON.parse((await call('reader', 'GET', '/v1/node/graph')).text) as {
      controllers: string[];
    };
    expect(json.controllers).toContain('runtime.MachineStatusController');
    expect((await call('reader', 'GET', '/v1/node/graph?format=dot')).text).toMatch(
      /^digraph dependencies \{/,
    );
    const svg = await call('reader', 'GET', '/v1/node/graph?format=svg');
    expect(svg.type).toBe('image/svg+xml');
    expect(svg.text).toContain('<svg');
    expect((await call('reader', 'GET', '/dashboard')).status).toBe(308);
    const page = await call('reader', 'GET', '/dashboard/');
    expect(page.type).toContain('text/html');
    expect(JSON.parse((await call('reader', 'GET', '/dashboard/nodes.json')).text)).toEqual([
      { name: '127.0.0.1', base: '' },
    ]);
  });

  it('should keep serving resources after a reboot in place, from the new boot', async () => {
    const before = JSON.parse((await call('reader', 'GET', '/v1/node/info')).text) as { bootId: string };
    expect((await call('operator', 'POST', '/v1/node/reboot', '{}')).status).toBe(202);
    let after = before;
    while (after.bootId === before.bootId) {
      // Polls until the new boot answers (never a fixed sleep as a race window).
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = JSON.parse((await call('reader', 'GET', '/v1/node/info')).text) as { bootId: string };
    }
    // The new boot's MachineStatus, through the same server, reaches running.
    const stage = async () =>
      (
        JSON.parse(
          (await call('reader', 'GET', '/v1/resources/runtime/MachineStatuses.runtime.talos.dev/machine'))
            .text,
        ) as { spec: { stage: string } }
      ).spec.stage;
    await expect.poll(stage, { timeout: 20_000 }).toBe('running');
  }, 30_000);
});
