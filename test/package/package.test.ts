import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'test', 'package', 'fixtures');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The exact version of a dev dependency, so the consumer installs from npm's cache what we test with. */
async function devVersion(name: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const version = pkg.devDependencies[name];
  if (version === undefined) throw new Error(`package.json has no dev dependency ${name}`);
  return version;
}

/**
 * The project as a fresh clone has it (no dist), packed with `npm pack` (which must build it), and
 * the tarball installed into a new consumer project. Returns the consumer's folder.
 */
async function installFromTarball(work: string): Promise<string> {
  const clone = join(work, 'clone');
  await mkdir(clone);
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md']) {
    await copyFile(join(root, file), join(clone, file));
  }
  for (const folder of ['src', 'bin']) await cp(join(root, folder), join(clone, folder), { recursive: true });
  await symlink(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const packs = join(work, 'packs');
  await mkdir(packs);
  await run('npm', ['pack', '--silent', '--pack-destination', packs], { cwd: clone });
  const [tarball] = await readdir(packs);
  if (tarball === undefined) throw new Error('npm pack made no tarball');

  const consumer = join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const peers = await Promise.all(
    ['zod', 'rxjs', '@types/node'].map(async (name) => `${name}@${await devVersion(name)}`),
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packs, tarball), ...peers],
    {
      cwd: consumer,
    },
  );
  return consumer;
}

describe('the packed package', () => {
  let work: string;
  let consumer: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'converge-package-'));
    consumer = await installFromTarball(work);
  }, 240_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('should type-check a strict program against the installed package and run it', async () => {
    await copyFile(join(fixtures, 'consumer', 'main.ts'), join(consumer, 'main.ts'));
    const tsconfig = {
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        skipLibCheck: true,
        outDir: 'out',
      },
      files: ['main.ts'],
    };
    await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig));
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer });
    const { stdout } = await run(process.execPath, [join(consumer, 'out', 'main.js')], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({ text: '1', prefix: 'consumer', served: true });
  }, 120_000);

  /** Every module importing `entry` loads in the consumer (see fixtures/loaded-modules.mjs). */
  async function loadedModules(entry: string, use?: 'api' | 'etcd'): Promise<string[]> {
    await copyFile(join(fixtures, 'loaded-modules.mjs'), join(consumer, 'loaded-modules.mjs'));
    const { stdout } = await run(process.execPath, ['loaded-modules.mjs', entry, ...(use ? [use] : [])], {
      cwd: consumer,
    });
    return JSON.parse(stdout) as string[];
  }
  const heavy = ['/node_modules/etcd3/', '/node_modules/@peculiar/x509/', '/node_modules/reflect-metadata/'];
  const heavyIn = (loaded: string[]) => heavy.filter((part) => loaded.some((file) => file.includes(part)));

  it('should load neither the etcd client nor the X.509 library when importing converge', async () => {
    const loaded = await loadedModules('converge');
    expect(loaded.some((file) => file.includes('/node_modules/converge/dist/index.js'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
  });

  it('should load them once converge/api or converge/etcd is used', async () => {
    expect(heavyIn(await loadedModules('converge/api'))).toEqual([]);
    expect(heavyIn(await loadedModules('converge/etcd'))).toEqual([]);
    expect(heavyIn(await loadedModules('converge/api', 'api'))).toEqual([
      '/node_modules/@peculiar/x509/',
      '/node_modules/reflect-metadata/',
    ]);
    expect(heavyIn(await loadedModules('converge/etcd', 'etcd'))).toEqual(['/node_modules/etcd3/']);
  });

  it('should run the installed converge command', async () => {
    const { stdout, stderr } = await run(join(consumer, 'node_modules', '.bin', 'converge'), ['--help'], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stdout).toContain('Usage: converge');
    expect(stderr).toBe('');
  });
});
