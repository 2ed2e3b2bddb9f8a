import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createState,
  defineResource,
  definitionMatchesName,
  metaNamespace,
  Namespaces,
  ResourceDefinitions,
} from '../../../src/index.js';

const LinkStatuses = defineResource({
  type: 'LinkStatuses.net.meta-test.dev',
  defaultNamespace: 'network',
  printColumns: [{ name: 'Up', jsonPath: '{.up}' }],
  sensitive: true,
  spec: z.object({ up: z.boolean() }),
});

describe('meta registration', () => {
  it('should describe ResourceDefinitions and Namespaces as COSI does', () => {
    expect(ResourceDefinitions.type).toBe('ResourceDefinitions.meta.cosi.dev');
    expect(ResourceDefinitions.defaultNamespace).toBe(metaNamespace);
    expect(ResourceDefinitions.displayType).toBe('ResourceDefinition');
    expect(ResourceDefinitions.aliases).toEqual(['api-resources', 'resourcedefinition', 'rd', 'rds']);
    expect(ResourceDefinitions.allAliases).toEqual([
      'resourcedefinitions',
      'resourcedefinitions.meta',
      'resourcedefinitions.meta.cosi',
      'api-resources',
      'resourcedefinition',
      'rd',
      'rds',
    ]);
    expect(Namespaces.aliases).toEqual(['ns', 'namespace']);
    expect(Namespaces.defaultNamespace).toBe('meta');
  });

  it('should register both meta types and the meta namespace in a new store, owned by meta', async () => {
    const state = createState();
    const definitions = await state.list(ResourceDefinitions.kind());
    expect(definitions.map((r) => [r.metadata.id, r.metadata.namespace, r.metadata.owner])).toEqual([
      ['namespaces.meta.cosi.dev', 'meta', 'meta'],
      ['resourcedefinitions.meta.cosi.dev', 'meta', 'meta'],
    ]);
    const rd = await state.get(ResourceDefinitions.pointer('resourcedefinitions.meta.cosi.dev'));
    expect(rd.spec.aliases).toEqual(['api-resources', 'resourcedefinition', 'rd', 'rds']);
    expect(rd.spec.displayType).toBe('ResourceDefinition');
    const namespaces = await state.list(Namespaces.kind());
    expect(namespaces.map((r) => [r.metadata.id, r.metadata.owner])).toEqual([['meta', 'meta']]);
  });

  it('should register a type and a namespace when they are first written', async () => {
    const state = createState();
    await state.create(LinkStatuses.make('eth0', { up: true }));
    await state.create(LinkStatuses.make('eth1', { up: false }));
    await state.create(LinkStatuses.make('lo', { up: true }, { namespace: 'other' }));
    const rd = await state.get(ResourceDefinitions.pointer('linkstatuses.net.meta-test.dev'));
    expect(rd.metadata).toMatchObject({ namespace: 'meta', owner: 'meta', version: 1 });
    expect(rd.spec).toEqual({
      type: 'LinkStatuses.net.meta-test.dev',
      displayType: 'LinkStatus',
      defaultNamespace: 'network',
      aliases: ['linkstatus', 'ls'],
      allAliases: ['linkstatuses', 'linkstatuses.net', 'linkstatuses.net.meta-test', 'linkstatus', 'ls'],
      printColumns: [{ name: 'Up', jsonPath: '{.up}' }],
      sensitivity: 'sensitive',
    });
    expect(definitionMatchesName(rd.spec, 'ls')).toBe(true);
    expect(definitionMatchesName(rd.spec, 'LinkStatuses')).toBe(true);
    expect(definitionMatchesName(rd.spec, 'linkstatuses.net.meta-test.dev')).toBe(true);
    expect(definitionMatchesName(rd.spec, 'links')).toBe(false);
    const namespaces = (await state.list(Namespaces.kind())).map((r) => r.metadata.id);
    expect(namespaces).toEqual(['meta', 'network', 'other']);
  });

  it('should register nothing when asked not to', async () => {
    const state = createState({ registerMeta: false });
    await state.create(LinkStatuses.make('eth0', { up: true }));
    expect(await state.list(ResourceDefinitions.kind())).toEqual([]);
    expect(await state.list(Namespaces.kind())).toEqual([]);
  });

  it('should not register anything for a failed write', async () => {
    const state = createState();
    await expect(
      state.create({ ...LinkStatuses.make('x', { up: true }), spec: { up: 'yes' } } as never),
    ).rejects.toThrow();
    expect((await state.list(Namespaces.kind())).map((r) => r.metadata.id)).toEqual(['meta']);
    expect((await state.list(ResourceDefinitions.kind())).map((r) => r.metadata.id)).toEqual([
      'namespaces.meta.cosi.dev',
      'resourcedefinitions.meta.cosi.dev',
    ]);
  });
});
