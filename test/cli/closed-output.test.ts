import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Items, startTestServer, type TestServer } from '../api/helpers/fixture.js';
import { spawnCli } from './helpers/run-cli.js';

let t: TestServer;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'converge-closed-output-'));
  for (const [name, text] of [
    ['ca.crt', t.certs.ca.cert],
    ['reader.crt', t.certs.clients.reader.cert],
    ['reader.key', t.certs.clients.reader.key],
  ] as const) {
    writeFileSync(join(dir, name), text);
  }
  env = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'empty-config'),
    CONVERGE_ENDPOINT: t.url,
    CONVERGE_CA: join(dir, 'ca.crt'),
    CONVERGE_CERT: join(dir, 'reader.crt'),
    CONVERGE_KEY: join(dir, 'reader.key'),
  };
  await t.state.create(Items.make('a', { value: 1 }));
});

afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the CLI with its stdout piped to a reader that is gone before the CLI writes a byte (as
 * `converge get rd | head -1` is once head has its line): every write meets a closed pipe.
 */
function runIntoClosedPipe(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin!.end();
  });
}

describe('a CLI whose stdout is closed', { timeout: 120_000 }, () => {
  it('should end quietly with success, for a listing, a watch and a command without a server', async () => {
    const results = await Promise.all([
      runIntoClosedPipe(['get', 'rd']),
      runIntoClosedPipe(['get', 'items', '-w']),
      runIntoClosedPipe(['completion', 'bash']),
    ]);
    expect(results).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
  });
});
