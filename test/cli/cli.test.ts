import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/api/server.js';
import { resourceToYaml } from '../../src/runtime/resource/yaml.js';
import { createState } from '../../src/runtime/state/create-state.js';
import { Items, Secrets, startTestServer, type TestServer } from '../api/helpers/fixture.js';
import { waitFor } from '../api/helpers/recorder.js';
import { runCli, spawnCli } from './helpers/run-cli.js';

let t: TestServer;
let dir: string;
/** Environment that points the CLI at the test server with a role's certificate. */
let envFor: (role: 'admin' | 'operator' | 'reader') => Record<string, string>;

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'converge-cli-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const ca = write('ca.crt', t.certs.ca.cert);
  write('foreign.crt', t.certs.foreign.cert);
  write('foreign.key', t.certs.foreign.key);
  for (const role of ['admin', 'operator', 'reader'] as const) {
    write(`${role}.crt`, t.certs.clients[role].cert);
    write(`${role}.key`, t.certs.clients[role].key);
  }
  envFor = (role) => ({
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'empty-config'),
    CONVERGE_ENDPOINT: t.url,
    CONVERGE_CA: ca,
    CONVERGE_CERT: join(dir, `${role}.crt`),
    CONVERGE_KEY: join(dir, `${role}.key`),
  });
  await t.state.create(Items.make('a', { value: 1 }, { labels: { tier: 'web' } }));
  await t.state.create(Items.make('b', { value: 22 }));
  await t.state.create(Secrets.make('token', { token: 's3cret' }));
});

afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('converge get', { timeout: 120_000 }, () => {
  it('should print a table with the type’s print columns, YAML, JSON and a label-selected list', async () => {
    const [table, yaml, json, selected] = await Promise.all([
      runCli(['get', 'items'], envFor('reader')),
      runCli(['get', 'item', 'a', '-o', 'yaml'], envFor('reader')),
      runCli(['get', Items.type, '-o', 'json'], envFor('reader')),
      runCli(['get', 'items', '-l', 'tier=web'], envFor('reader')),
    ]);
    expect(table).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'NAMESPACE   TYPE   ID   VERSION   PHASE     VALUE',
        'default     Item   a    1         running   1',
        'default     Item   b    1         running   22',
        '',
      ].join('\n'),
    });
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toBe(resourceToYaml(await t.state.get(Items.pointer('a'))));
    expect(json.code).toBe(0);
    // One document, as kubectl prints a list.
    const list = JSON.parse(json.stdout) as {
      items: { metadata: { id: string }; spec: { value: number } }[];
    };
    expect(list.items.map((o) => [o.metadata.id, o.spec.value])).toEqual([
      ['a', 1],
      ['b', 22],
    ]);
    expect(selected.stdout.trim().split('\n').slice(1)).toEqual([
      'default     Item   a    1         running   1',
    ]);
  });

  it('should print wide tables, jsonpath templates, and say when nothing is found', async () => {
    const [wide, ids, range, one, empty, emptyJson] = await Promise.all([
      runCli(['get', 'items', 'a', '-o', 'wide'], envFor('reader')),
      runCli(['get', 'items', '-o', 'jsonpath={.items[*].metadata.id}'], envFor('reader')),
      runCli(
        ['get', 'items', '-o', 'jsonpath={range .items[*]}{.metadata.id}:{.spec.value}{"\\n"}{end}'],
        envFor('reader'),
      ),
      runCli(['get', 'items', 'b', '-o', 'jsonpath={.spec.value}'], envFor('reader')),
      runCli(['get', 'items', '-n', 'nowhere'], envFor('reader')),
      runCli(['get', 'items', '-n', 'nowhere', '-o', 'json'], envFor('reader')),
    ]);
    expect(wide).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'NAMESPACE   TYPE   ID   VERSION   PHASE     VALUE   OWNER    FINALIZERS   LABELS',
        'default     Item   a    1         running   1       <user>                tier=web',
        '',
      ].join('\n'),
    });
    expect(ids).toEqual({ code: 0, stderr: '', stdout: 'a b' });
    expect(range.stdout).toBe('a:1\nb:22\n');
    expect(one.stdout).toBe('22');
    expect(empty).toEqual({ code: 0, stderr: 'No resources found in namespace nowhere.\n', stdout: '' });
    expect(JSON.parse(emptyJson.stdout)).toEqual({ items: [] });
  }, 120_000);

  it('should find a resource definition by its type’s alias, as the type is found', async () => {
    const [byAlias, byType] = await Promise.all([
      runCli(['get', 'rd', 'items', '-o', 'jsonpath={.metadata.id}'], envFor('reader')),
      runCli(['get', 'rd', Items.type, '-o', 'jsonpath={.metadata.id}'], envFor('reader')),
    ]);
    expect(byAlias).toEqual({ code: 0, stderr: '', stdout: Items.type.toLowerCase() });
    expect(byType.stdout).toBe(Items.type.toLowerCase());
  });

  it('should list resource definitions with their aliases and redact sensitive specs for a reader', async () => {
    // Flags instead of the environment.
    const flags = [
      '--endpoint',
      t.url,
      '--ca',
      join(dir, 'ca.crt'),
      '--cert',
      join(dir, 'reader.crt'),
      '--key',
      join(dir, 'reader.key'),
    ];
    const [rd, secret] = await Promise.all([
      runCli(['get', 'rd', ...flags], { HOME: dir, XDG_CONFIG_HOME: join(dir, 'empty-config') }),
      runCli(['get', 'secrets', '-o', 'yaml'], envFor('reader')),
    ]);
    expect(rd.code).toBe(0);
    expect(rd.stdout.split('\n')[0]).toBe(
      'NAMESPACE   TYPE                 ID                                  VERSION   PHASE     ALIASES',
    );
    expect(rd.stdout).toContain(
      'meta        ResourceDefinition   items.api.test.converge.dev         1         running   ["item"]',
    );
    expect(secret.stdout).toContain('spec: <redacted>');
    expect(secret.stdout).not.toContain('s3cret');
  });

  it('should follow changes with -w, marking created with + and destroyed with -', async () => {
    const child = spawnCli(['get', 'items', '-w'], envFor('reader'));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(() => out.split('\n').length >= 4, 'the bootstrap table', 20_000);
      const a = await t.state.get(Items.pointer('a'));
      await t.state.update({ ...a, spec: { ...a.spec, value: 2 } });
      await t.state.create(Items.make('w', { value: 7 }));
      await t.state.destroy(Items.pointer('w'));
      await waitFor(() => out.split('\n').length >= 7, 'three event lines', 20_000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out.split('\n')).toEqual([
      '*   NAMESPACE   TYPE   ID   VERSION   PHASE     VALUE',
      '+   default     Item   a    1         running   1',
      '+   default     Item   b    1         running   22',
      '    default     Item   a    2         running   2',
      '+   default     Item   w    1         running   7',
      '-   default     Item   w    1         running   7',
      '',
    ]);
  });
});

describe('converge apply and delete', { timeout: 120_000 }, () => {
  it('should show a diff on --dry-run without writing, then create and update in one go', async () => {
    const manifest = join(dir, 'apply.yaml');
    writeFileSync(
      manifest,
      [
        'metadata:',
        '  type: items',
        '  id: b',
        'spec:',
        '  value: 23',
        '---',
        'metadata:',
        '  type: item',
        '  id: c',
        'spec:',
        '  value: 3',
        '',
      ].join('\n'),
    );
    const before = JSON.stringify(await t.state.list(Items.kind()));
    const dry = await runCli(['apply', '-f', manifest, '--dry-run'], envFor('operator'));
    expect(dry).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `${Items.type}(default/b) would be configured`,
        '  ~ spec.value: 22 -> 23',
        `${Items.type}(default/c) would be created`,
        '',
      ].join('\n'),
    });
    expect(JSON.stringify(await t.state.list(Items.kind()))).toBe(before);
    const applied = await runCli(['apply', '-f', manifest], envFor('operator'));
    expect(applied.stdout).toBe(`${Items.type}(default/b) configured\n${Items.type}(default/c) created\n`);
    expect((await t.state.get(Items.pointer('b'))).spec).toEqual({ value: 23, note: '' });
    const again = await runCli(['apply', '-f', manifest], envFor('operator'));
    expect(again.stdout).toBe(`${Items.type}(default/b) unchanged\n${Items.type}(default/c) unchanged\n`);
    expect((await t.state.get(Items.pointer('b'))).metadata.version).toBe(2);
  });

  it('should give a dry run the real apply verdict: an owner conflict, with who owns it, and exit 4', async () => {
    await t.state.create(Items.make('owned', { value: 1 }), { owner: 'ItemController' });
    const manifest = join(dir, 'owned.yaml');
    writeFileSync(
      manifest,
      ['metadata:', '  type: items', '  id: owned', 'spec:', '  value: 2', ''].join('\n'),
    );
    const before = JSON.stringify(await t.state.list(Items.kind()));
    const [dry, real] = [
      await runCli(['apply', '-f', manifest, '--dry-run'], envFor('operator')),
      await runCli(['apply', '-f', manifest], envFor('operator')),
    ];
    expect(dry.code).toBe(4);
    expect(dry.stdout).toBe('');
    expect(dry.stderr).toMatch(/ItemController/);
    expect(dry.stderr).toMatch(/not for hand edits/);
    expect(real).toEqual(dry);
    expect(JSON.stringify(await t.state.list(Items.kind()))).toBe(before);
  });

  it('should refuse an invalid manifest with its document, line and field, and exit 5', async () => {
    const before = JSON.stringify(await t.state.list(Items.kind()));
    const bad = await runCli(
      ['apply', '-f', '-'],
      envFor('operator'),
      [
        'metadata:',
        '  type: items',
        '  id: ok',
        'spec:',
        '  value: 1',
        '---',
        'metadata:',
        '  type: items',
        '  id: bad',
        'spec:',
        '  value: "x"',
        '',
      ].join('\n'),
    );
    expect(bad.code).toBe(5);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      'error: -: invalid manifest: document 2, line 11, field spec.value: Invalid input: expected number, received string\n',
    );
    expect(JSON.stringify(await t.state.list(Items.kind()))).toBe(before);
  });

  it('should refuse empty input to apply -f -', async () => {
    const [empty, blank] = await Promise.all([
      runCli(['apply', '-f', '-'], envFor('operator'), ''),
      runCli(['apply', '-f', '-'], envFor('operator'), '---\n# nothing\n'),
    ]);
    for (const r of [empty, blank]) {
      expect(r.code).toBe(5);
      expect(r.stderr).toBe(
        'error: standard input: no resources in it (expected YAML documents with metadata and spec)\n',
      );
    }
  });

  it('should wait by default until a deleted resource is destroyed, saying which finalizers it waits for', async () => {
    await t.state.create(Items.make('d1', { value: 1 }));
    await t.state.create(Items.make('d2', { value: 1 }, { finalizers: ['a', 'b'] }));
    const first = await runCli(['delete', 'items', 'd1'], envFor('operator'));
    expect(first).toEqual({ code: 0, stderr: '', stdout: `${Items.type}(default/d1) deleted\n` });
    const child = spawnCli(['delete', 'items', 'd2', '--timeout', '60'], envFor('operator'));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin!.end();
    await waitFor(() => err.includes('waiting for finalizers: a, b'), 'the first progress line', 30_000);
    expect((await t.state.get(Items.pointer('d2'))).metadata.phase).toBe('tearingDown');
    await t.state.removeFinalizer(Items.pointer('d2'), 'a');
    await waitFor(() => err.includes('waiting for finalizers: b\n'), 'the second progress line', 30_000);
    expect(out).toBe('');
    await t.state.removeFinalizer(Items.pointer('d2'), 'b');
    expect(await exited).toBe(0);
    expect(out).toBe(`${Items.type}(default/d2) deleted\n`);
    expect(err).toBe(
      `${Items.type}(default/d2) waiting for finalizers: a, b\n${Items.type}(default/d2) waiting for finalizers: b\n`,
    );
    await expect(t.state.get(Items.pointer('d2'))).rejects.toThrow(/not found/);
  }, 120_000);

  it('should return at once with --wait=false, and give up waiting after --timeout', async () => {
    await t.state.create(Items.make('d3', { value: 1 }, { finalizers: ['hold'] }));
    const quick = await runCli(['delete', 'items', 'd3', '--wait=false'], envFor('operator'));
    expect(quick).toEqual({
      code: 0,
      stderr: '',
      stdout: `${Items.type}(default/d3) tearing down, waiting for finalizers: hold\n`,
    });
    expect((await t.state.get(Items.pointer('d3'))).metadata.phase).toBe('tearingDown');
    const late = await runCli(['delete', 'items', 'd3', '--timeout', '1'], envFor('operator'));
    expect(late.code).toBe(4);
    expect(late.stderr).toContain(`still waiting for finalizers after 1 s: hold`);
    await t.state.removeFinalizer(Items.pointer('d3'), 'hold');
  }, 120_000);
});

describe('converge errors and exit codes', { timeout: 120_000 }, () => {
  it('should print one clear line and exit with the documented code', async () => {
    const noConfig = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'empty-config') };
    const [unknownType, missing, denied, foreign, unreachable, unconfigured, usage] = await Promise.all([
      runCli(['get', 'nope'], envFor('reader')),
      runCli(['get', 'items', 'zz'], envFor('reader')),
      runCli(['delete', 'items', 'a'], envFor('reader')),
      runCli(['get', 'items'], {
        ...envFor('reader'),
        CONVERGE_CERT: join(dir, 'foreign.crt'),
        CONVERGE_KEY: join(dir, 'foreign.key'),
      }),
      runCli(['get', 'items'], { ...envFor('reader'), CONVERGE_ENDPOINT: 'https://127.0.0.1:1' }),
      runCli(['get', 'items'], noConfig),
      runCli(['get', 'items', '-o', 'xml'], envFor('reader')),
    ]);
    const oneLine = (r: { stderr: string }) =>
      r.stderr.trimEnd().split('\n').length === 1 && r.stderr.startsWith('error: ');
    expect([
      unknownType.code,
      missing.code,
      denied.code,
      foreign.code,
      unreachable.code,
      unconfigured.code,
      usage.code,
    ]).toEqual([3, 3, 6, 6, 7, 2, 2]);
    for (const r of [unknownType, missing, denied, foreign, unreachable, unconfigured, usage])
      expect(oneLine(r)).toBe(true);
    expect(missing.stderr).toBe(`error: resource ${Items.type}(default/zz) not found\n`);
    expect(denied.stderr).toContain('converge:operator');
    expect(unconfigured.stderr).toContain('CONVERGE_ENDPOINT');
    expect((await t.state.get(Items.pointer('a'))).metadata.phase).toBe('running');
  }, 120_000);
});

describe('converge gen certs', { timeout: 120_000 }, () => {
  it('should write working certificates and a config file that the CLI finds in the user config dir', async () => {
    const out = join(dir, 'generated');
    const gen = await runCli(
      ['gen', 'certs', '--out', out, '--hosts', '127.0.0.1', '--endpoint', 'https://127.0.0.1:1'],
      {
        HOME: dir,
      },
    );
    expect(gen.code).toBe(0);
    for (const f of [
      'ca.crt',
      'ca.key',
      'server.crt',
      'server.key',
      'admin.crt',
      'admin.key',
      'operator.key',
      'reader.crt',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(statSync(join(out, 'admin.key')).mode & 0o077).toBe(0);
    const again = await runCli(['gen', 'certs', '--out', out], { HOME: dir });
    expect(again.code).toBe(2);

    const read = (f: string) => readFileSync(join(out, f), 'utf8');
    const state = createState();
    await state.create(Items.make('g', { value: 9 }));
    const server = createApiServer({
      state,
      tls: { ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key') },
    });
    const url = await server.listen();
    try {
      const configHome = join(dir, 'xdg');
      mkdirSync(join(configHome, 'converge'), { recursive: true });
      writeFileSync(
        join(configHome, 'converge', 'config.yaml'),
        `endpoint: ${url}\nca: ${join(out, 'ca.crt')}\ncert: ${join(out, 'reader.crt')}\nkey: ${join(out, 'reader.key')}\n`,
      );
      const get = await runCli(['get', 'items'], { HOME: dir, XDG_CONFIG_HOME: configHome });
      expect(get).toEqual({
        code: 0,
        stderr: '',
        stdout:
          'NAMESPACE   TYPE   ID   VERSION   PHASE     VALUE\ndefault     Item   g    1         running   9\n',
      });
    } finally {
      await server.close();
    }
  });
});
