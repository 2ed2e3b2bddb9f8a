import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EtcdServer, startEtcdServer } from '../../src/testing/index.js';
import { runCli } from './helpers/run-cli.js';
import { type ServeProcess, startServe, writeCertificates } from './helpers/serve-process.js';

const dir = mkdtempSync(join(tmpdir(), 'converge-serve-etcd-'));
let etcd: EtcdServer | undefined;
const servers: ServeProcess[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const definition = [
  'metadata:',
  '  namespace: meta',
  '  type: rd',
  '  id: gauges.serve.test.converge.dev',
  'spec:',
  '  type: Gauges.serve.test.converge.dev',
  '  schema:',
  '    type: object',
  '    properties:',
  '      level: { type: number, maximum: 10 }',
  '    required: [level]',
  '',
].join('\n');

describe('converge serve --etcd', () => {
  it('should keep the types added at run time across a restart of the server', async () => {
    etcd = await startEtcdServer();
    const certs = await writeCertificates(dir);
    const args = ['--etcd', etcd.endpoint, '--etcd-prefix', 'serve-test'];
    const first = await startServe(dir, certs, args);
    servers.push(first);
    const defined = await runCli(['apply', '-f', '-'], first.env('admin'), definition);
    expect(defined.stdout).toBe(
      'ResourceDefinitions.meta.cosi.dev(meta/gauges.serve.test.converge.dev) created\n',
    );
    expect(await first.stop()).toBe(0);

    const second = await startServe(dir, certs, args);
    servers.push(second);
    const [good, bad] = await Promise.all([
      runCli(
        ['apply', '-f', '-'],
        second.env('operator'),
        'metadata:\n  type: gauges\n  id: g\nspec:\n  level: 3\n',
      ),
      runCli(
        ['apply', '-f', '-'],
        second.env('operator'),
        'metadata:\n  type: gauge\n  id: h\nspec:\n  level: 11\n',
      ),
    ]);
    expect(good).toEqual({
      code: 0,
      stderr: '',
      stdout: 'Gauges.serve.test.converge.dev(default/g) created\n',
    });
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('line 5, field spec.level');
  }, 180_000);
});
