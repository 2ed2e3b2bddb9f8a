import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRemoteState } from '../../src/api/remote-state.js';
import { waitFor } from '../api/helpers/recorder.js';
import { Widgets } from './fixtures/widgets.js';
import { spawnCli } from './helpers/run-cli.js';
import { type ServeProcess, startServe, writeCertificates } from './helpers/serve-process.js';

const widgetTypes = join(import.meta.dirname, 'fixtures', 'widgets.ts');
const dir = mkdtempSync(join(tmpdir(), 'converge-watch-'));
const servers: ServeProcess[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function withClient(
  certs: string,
  url: string,
  fn: (state: ReturnType<typeof createRemoteState>) => Promise<void>,
) {
  const read = (f: string) => readFileSync(join(certs, f), 'utf8');
  const state = createRemoteState({
    url,
    tls: { ca: read('ca.crt'), cert: read('admin.crt'), key: read('admin.key') },
  });
  try {
    await fn(state);
  } finally {
    await state.close?.();
  }
}

describe('converge get -w', () => {
  it('should say when it loses the server, reconnect, and list again when its bookmark is from another store', async () => {
    const certs = await writeCertificates(dir);
    const port = await freePort();
    const first = await startServe(dir, certs, ['--types', widgetTypes], port);
    servers.push(first);
    await withClient(certs, first.url, async (state) => {
      await state.create(Widgets.make('old', { size: 1 }));
      await state.create(Widgets.make('kept', { size: 2 }));
    });
    const watch = spawnCli(['get', 'widgets', '-w'], first.env('reader'));
    let out = '';
    let err = '';
    watch.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    watch.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => watch.on('close', resolve));
    try {
      await waitFor(() => out.split('\n').length >= 4, 'the bootstrap table', 30_000);
      expect(await first.stop()).toBe(0);
      await waitFor(() => err.includes('lost the connection'), 'the lost connection on stderr', 30_000);
      // A fresh store behind the same address: the watch's bookmark means nothing there.
      const second = await startServe(dir, certs, ['--types', widgetTypes], port);
      servers.push(second);
      await withClient(certs, second.url, async (state) => {
        await state.create(Widgets.make('kept', { size: 3 }));
        await state.create(Widgets.make('new', { size: 4 }));
      });
      await waitFor(() => out.split('\n').length >= 7, 'the changes after listing again', 60_000);
      await withClient(certs, second.url, async (state) => {
        await state.create(Widgets.make('later', { size: 5 }));
      });
      await waitFor(() => out.split('\n').length >= 8, 'a live event after listing again', 30_000);
    } finally {
      watch.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out.split('\n')).toEqual([
      '*   NAMESPACE   TYPE     ID     VERSION   PHASE     SIZE',
      '+   default     Widget   kept   1         running   2',
      '+   default     Widget   old    1         running   1',
      '    default     Widget   kept   1         running   3',
      '+   default     Widget   new    1         running   4',
      '-   default     Widget   old    1         running   1',
      '+   default     Widget   later   1         running   5',
      '',
    ]);
    const lines = err.trim().split('\n');
    expect(lines[0]).toMatch(/^lost the connection https:\/\/127\.0\.0\.1:\d+: .*; retrying in 0\.5 s$/);
    expect(lines).toContain(`reconnected to ${first.url}`);
    expect(lines.at(-1)).toMatch(/^watch position lost \(.*another store.*\); listing again$/);
  }, 180_000);
});
