import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createState,
  defineResource,
  diffResources,
  isValidationError,
  loadManifests,
  ManifestError,
  resourceToYaml,
  safeLoadManifests,
} from '../../../src/index.js';

const Servers = defineResource({
  type: 'Servers.manifest.test.dev',
  aliases: ['srv'],
  spec: z.object({
    host: z.string(),
    port: z.number().int().min(1).max(65_535),
    tags: z.array(z.string()).default([]),
  }),
});

describe('manifests', () => {
  it('should load a multi-document stream into validated resources', () => {
    const resources = loadManifests(`
metadata:
  type: Servers.manifest.test.dev
  id: web
  labels: { tier: front }
spec:
  host: example.org
  port: 443
---
metadata:
  type: srv
  id: db
  namespace: data
spec: { host: db.local, port: 5432, tags: [primary] }
---
`);
    expect(resources.map((r) => [r.metadata.namespace, r.metadata.type, r.metadata.id])).toEqual([
      ['default', 'Servers.manifest.test.dev', 'web'],
      ['data', 'Servers.manifest.test.dev', 'db'],
    ]);
    expect(resources[0]!.spec).toEqual({ host: 'example.org', port: 443, tags: [] });
    expect(resources[0]!.metadata.labels).toEqual({ tier: 'front' });
    expect(resources[0]!.metadata.version).toBe(0);
    expect(Object.isFrozen(resources[1]!.spec)).toBe(true);
  });

  it('should name the document, the line and the field of a spec that fails its schema', () => {
    const text = [
      'metadata: { type: srv, id: ok }',
      'spec: { host: a, port: 1 }',
      '---',
      'metadata:',
      '  type: srv',
      '  id: bad',
      'spec:',
      '  host: b',
      '  port: 70000',
    ].join('\n');
    const result = safeLoadManifests(text);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error).toBeInstanceOf(ManifestError);
    expect(isValidationError(result.error)).toBe(true);
    expect(result.error.issues).toHaveLength(1);
    expect(result.error.issues[0]).toMatchObject({ document: 2, line: 9, path: ['spec', 'port'] });
    expect(result.error.message).toMatch(/document 2, line 9, field spec\.port/);
    expect(() => loadManifests(text)).toThrow(ManifestError);
  });

  it('should reject malformed YAML, unknown types, missing ids and unknown fields with clear errors', () => {
    const cases: [string, RegExp][] = [
      ['metadata: { type: srv, id: x }\nspec: { host: [unclosed', /document 1, line \d+/],
      ['metadata: { type: Nope.x.dev, id: x }\nspec: {}', /unknown resource type "Nope\.x\.dev"/],
      [
        'metadata: { type: srv }\nspec: { host: a, port: 1 }',
        /field metadata\.type|field metadata\.id: id is required/,
      ],
      [
        'metadata: { type: srv, id: x, colour: red }\nspec: { host: a, port: 1 }',
        /unknown metadata field "colour"/,
      ],
      ['- just\n- a list', /must be a mapping/],
      [
        'metadata: { type: srv, id: x, labels: { a: 1 } }\nspec: { host: a, port: 1 }',
        /metadata\.labels\.a: must be a string/,
      ],
      ['metadata: { type: srv, id: x }', /spec is required/],
    ];
    for (const [text, pattern] of cases) {
      const result = safeLoadManifests(text);
      expect(result.success, text).toBe(false);
      if (!result.success) expect(result.error.message, text).toMatch(pattern);
    }
  });

  it('should name the line of a misindented key, not the start of the document', () => {
    const misindented = ['metadata:', '  type: srv', '  id: a', '   stray: 1', 'spec: {}', ''].join('\n');
    expect(() => loadManifests(misindented)).toThrow(/document 1, line 4: bad indentation/);
    const dedented = ['metadata:', '  type: srv', '  id: a', 'spec:', '  value: 1', ' oops: 2', ''].join(
      '\n',
    );
    expect(() => loadManifests(dedented)).toThrow(
      /document 1, line 6: All mapping items must start at the same column/,
    );
  });

  it('should print resources as YAML with COSI key order and round-trip them', async () => {
    const state = createState();
    const stored = await state.create(
      Servers.make('web', { host: 'h', port: 80 }, { labels: { b: '2', a: '1' }, finalizers: ['f'] }),
    );
    const text = resourceToYaml(stored);
    const keys = text
      .split('\n')
      .slice(0, text.split('\n').indexOf('spec:'))
      .filter((l) => /^ {2}[a-z]+:/.test(l))
      .map((l) => l.trim().split(':')[0]);
    expect(keys).toEqual([
      'namespace',
      'type',
      'id',
      'version',
      'owner',
      'phase',
      'created',
      'updated',
      'labels',
      'finalizers',
    ]);
    expect(text.indexOf('a: "1"')).toBeLessThan(text.indexOf('b: "2"'));
    const [loaded] = loadManifests(text);
    expect(loaded!.spec).toEqual(stored.spec);
    expect(loaded!.metadata.labels).toEqual(stored.metadata.labels);
  });

  it('should give an RFC 6902 patch that turns one version into the next', async () => {
    const state = createState();
    const a = await state.create(Servers.make('web', { host: 'h', port: 80 }));
    const b = await state.updateWithConflicts(Servers.pointer('web'), (d) => {
      d.spec.port = 8080;
      d.spec.tags.push('new');
      d.metadata.labels.x = 'y';
    });
    const patch = diffResources(a, b);
    expect(patch).toContainEqual({ op: 'replace', path: '/spec/port', value: 8080 });
    const applied = fastJsonPatch.applyPatch(
      structuredClone({ metadata: a.metadata, spec: a.spec }),
      patch,
    ).newDocument;
    expect(applied).toEqual({ metadata: b.metadata, spec: b.spec });
    expect(Object.isFrozen(a.spec)).toBe(true);
  });
});
