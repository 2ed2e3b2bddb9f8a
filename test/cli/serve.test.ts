import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';
import { type ServeProcess, startServe, writeCertificates } from './helpers/serve-process.js';

const widgetTypes = join(import.meta.dirname, 'fixtures', 'widgets.ts');

let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'converge-serve-'));
  const certs = await writeCertificates(dir);
  serve = await startServe(dir, certs, ['--types', widgetTypes]);
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const gadgetDefinition = [
  'metadata:',
  '  namespace: meta',
  '  type: rd',
  '  id: gadgets.serve.test.converge.dev',
  'spec:',
  '  type: Gadgets.serve.test.converge.dev',
  '  aliases: [gd]',
  '  printColumns:',
  '    - name: Color',
  "      jsonPath: '{.color}'",
  '  schema:',
  '    type: object',
  '    properties:',
  '      color: { type: string, enum: [red, blue] }',
  '      count: { type: integer, minimum: 0, default: 1 }',
  '    required: [color]',
  '',
].join('\n');

describe('converge serve', () => {
  it('should serve the types of a --types module, validating their specs', async () => {
    const listed = await runCli(['get', 'widgets'], serve.env('reader'));
    expect(listed).toEqual({ code: 0, stderr: 'No resources found in namespace default.\n', stdout: '' });
    const good = await runCli(
      ['apply', '-f', '-'],
      serve.env('operator'),
      'metadata:\n  type: widgets\n  id: w1\nspec:\n  size: 3\n',
    );
    expect(good).toEqual({
      code: 0,
      stderr: '',
      stdout: 'Widgets.serve.test.converge.dev(default/w1) created\n',
    });
    const bad = await runCli(
      ['apply', '-f', '-'],
      serve.env('operator'),
      'metadata:\n  type: widget\n  id: w2\nspec:\n  size: 0\n',
    );
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('line 5, field spec.size');
  }, 120_000);

  it('should add a type from a ResourceDefinition with a JSON Schema while it runs', async () => {
    const defined = await runCli(['apply', '-f', '-'], serve.env('admin'), gadgetDefinition);
    expect(defined).toEqual({
      code: 0,
      stderr: '',
      stdout: 'ResourceDefinitions.meta.cosi.dev(meta/gadgets.serve.test.converge.dev) created\n',
    });
    const created = await runCli(
      ['apply', '-f', '-'],
      serve.env('operator'),
      'metadata:\n  type: gd\n  id: g1\nspec:\n  color: red\n',
    );
    expect(created).toEqual({
      code: 0,
      stderr: '',
      stdout: 'Gadgets.serve.test.converge.dev(default/g1) created\n',
    });
    const wrongValue = await runCli(
      ['apply', '-f', '-'],
      serve.env('operator'),
      'metadata:\n  type: gadgets\n  id: g2\nspec:\n  color: green\n',
    );
    expect(wrongValue.code).toBe(5);
    expect(wrongValue.stderr).toContain('line 5, field spec.color');
    const unknownField = await runCli(
      ['apply', '-f', '-'],
      serve.env('operator'),
      'metadata:\n  type: gadgets\n  id: g3\nspec:\n  color: blue\n  cuont: 2\n',
    );
    expect(unknownField.code).toBe(5);
    expect(unknownField.stderr).toContain('cuont');
    const shown = await runCli(['get', 'gd', 'g1', '-o', 'yaml'], serve.env('reader'));
    expect(shown.stdout).toContain('spec:\n  color: red\n  count: 1\n');
    const again = await runCli(['apply', '-f', '-'], serve.env('admin'), gadgetDefinition);
    expect(again.stdout).toBe(
      'ResourceDefinitions.meta.cosi.dev(meta/gadgets.serve.test.converge.dev) unchanged\n',
    );
  }, 120_000);

  it('should refuse a ResourceDefinition whose JSON Schema cannot be used', async () => {
    const bad = await runCli(
      ['apply', '-f', '-'],
      serve.env('admin'),
      gadgetDefinition
        .replace(/gadgets/g, 'gizmos')
        .replace(/Gadgets/g, 'Gizmos')
        .replace('type: object', 'type: objekt'),
    );
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('field spec.schema: not a usable JSON Schema');
  }, 120_000);

  it('should log every request with method, path, client, role, status and time', () => {
    const lines = serve
      .log()
      .split('\n')
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        path: '/v1/resources/default/Widgets.serve.test.converge.dev',
        client: 'reader',
        role: 'reader',
        status: 200,
        ms: expect.any(Number),
      }),
    );
  });

  it('should stop on SIGTERM with exit code 0', async () => {
    expect(await serve.stop()).toBe(0);
  });
});
