import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// A build of its own, inside the project so the built files find node_modules, and apart from
// dist so another test reading dist never sees a half-written file.
const out = join(root, '.tmp', 'entry-points-build');
const fixture = join(root, 'test', 'package', 'fixtures', 'loaded-modules.mjs');

/** Every module (ESM URL or CommonJS path) that importing `entry` (and, with `use`, using it) loads. */
async function loadedModules(entry: string, use?: 'api' | 'etcd'): Promise<string[]> {
  const url = pathToFileURL(join(out, entry)).href;
  const { stdout } = await run(process.execPath, [fixture, url, ...(use ? [use] : [])], { cwd: root });
  return JSON.parse(stdout) as string[];
}

const heavy = ['/node_modules/etcd3/', '/node_modules/@peculiar/x509/', '/node_modules/reflect-metadata/'];
const heavyIn = (loaded: string[]) => heavy.filter((part) => loaded.some((file) => file.includes(part)));

describe('package entry points', () => {
  beforeAll(async () => {
    await rm(out, { recursive: true, force: true });
    await run(
      process.execPath,
      [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        out,
        '--declaration',
        'false',
        '--declarationMap',
        'false',
        '--sourceMap',
        'false',
      ],
      { cwd: root },
    );
  }, 180_000);

  it('should load neither the etcd client nor the X.509 library when importing converge', async () => {
    const loaded = await loadedModules('index.js');
    expect(loaded.some((file) => file.includes('/node_modules/zod/'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
  });

  it('should load them only when converge/api and converge/etcd are used', async () => {
    expect(heavyIn(await loadedModules('api/index.js'))).toEqual([]);
    expect(heavyIn(await loadedModules('backends/etcd/index.js'))).toEqual([]);
    expect(heavyIn(await loadedModules('api/index.js', 'api'))).toEqual([
      '/node_modules/@peculiar/x509/',
      '/node_modules/reflect-metadata/',
    ]);
    expect(heavyIn(await loadedModules('backends/etcd/index.js', 'etcd'))).toEqual(['/node_modules/etcd3/']);
  });

  it('should load no etcd or X.509 code when importing converge/testing', async () => {
    expect(heavyIn(await loadedModules('testing/index.js'))).toEqual([]);
  });
});
