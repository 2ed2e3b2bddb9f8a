import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineResource,
  isValidationError,
  listDefinitions,
  lookupDefinition,
  type ValidationError,
} from '../../../src/index.js';

const Paths = defineResource({
  type: 'Paths.define.converge.dev',
  aliases: ['p'],
  spec: z.object({ value: z.number().default(0), tags: z.array(z.string()).default([]) }),
});

describe('defineResource', () => {
  it.each([
    ['Paths', 'missing suffix'],
    ['.define.converge.dev', 'name is empty'],
    ['Paths.', 'suffix is empty'],
    ['paths.define.converge.dev', 'name should be in CamelCase'],
    ['P.define.converge.dev', "name doesn't match"],
    ['Pa_ths.define.converge.dev', "name doesn't match"],
    ['Paths.Define.dev', "suffix doesn't match"],
    ['Paths.define..dev', "suffix doesn't match"],
    ['Paths.d.dev', "suffix doesn't match"],
    ['Path.define.converge.dev', 'name should be plural'],
  ])('should reject the type %j: %s', (type, reason) => {
    expect(() => defineResource({ type, spec: z.object({}) })).toThrow(reason);
    expect(() => defineResource({ type, spec: z.object({}) })).toThrow(JSON.stringify(type));
    expect(lookupDefinition(type)).toBeUndefined();
  });

  it('should reject an empty default namespace', () => {
    expect(() =>
      defineResource({ type: 'Empties.define.converge.dev', defaultNamespace: '', spec: z.object({}) }),
    ).toThrow(/default namespace/);
  });

  it('should derive the display type and aliases as COSI does', () => {
    expect(Paths.displayType).toBe('Path');
    expect(Paths.aliases).toEqual(['p', 'path']);
    expect(Paths.allAliases).toEqual(['paths', 'paths.define', 'paths.define.converge', 'p', 'path']);
    const statuses = defineResource({ type: 'LinkStatuses.define.converge.dev', spec: z.object({}) });
    expect(statuses.displayType).toBe('LinkStatus');
    // Two capitals give an acronym; its plural is skipped when the acronym ends in S.
    expect(statuses.aliases).toEqual(['linkstatus', 'ls']);
    const policies = defineResource({ type: 'RoutingPolicies.define.converge.dev', spec: z.object({}) });
    expect(policies.displayType).toBe('RoutingPolicy');
    expect(policies.aliases).toEqual(['routingpolicy', 'rp', 'rps']);
    const bare = defineResource({
      type: 'Addresses.define.converge.dev',
      aliases: ['addr'],
      skipAutomaticAliases: true,
      spec: z.object({}),
    });
    expect(bare.displayType).toBe('Address');
    expect(bare.aliases).toEqual(['addr']);
    expect(bare.allAliases).toEqual(['addr']);
  });

  it('should register definitions for lookup by type', () => {
    expect(lookupDefinition(Paths.type)).toBe(Paths);
    const types = listDefinitions().map((d) => d.type);
    expect(types).toContain(Paths.type);
    expect(types).toEqual([...types].sort());
  });

  it('should keep the literal type and make typed pointers and kinds', () => {
    const type: 'Paths.define.converge.dev' = Paths.type;
    expect(type).toBe('Paths.define.converge.dev');
    expect(Paths.pointer('a')).toEqual({ namespace: 'default', type, id: 'a' });
    expect(Paths.pointer('a', 'other')).toEqual({ namespace: 'other', type, id: 'a' });
    expect(Paths.kind()).toEqual({ namespace: 'default', type });
    expect(Object.isFrozen(Paths.pointer('a'))).toBe(true);
    expect(Object.isFrozen(Paths.kind('x'))).toBe(true);
  });
});

describe('make', () => {
  it('should make an unsaved, frozen resource with the schema output as spec', () => {
    const r = Paths.make('a', { value: 1 });
    expect(r).toEqual({
      metadata: {
        namespace: 'default',
        type: Paths.type,
        id: 'a',
        version: 0,
        owner: '',
        phase: 'running',
        finalizers: [],
        labels: {},
        annotations: {},
        created: '',
        updated: '',
      },
      spec: { value: 1, tags: [] },
    });
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.metadata)).toBe(true);
    expect(Object.isFrozen(r.spec.tags)).toBe(true);
    expect(Paths.make('b', {}).spec).toEqual({ value: 0, tags: [] });
  });

  it('should copy the options it is given and keep finalizers a set', () => {
    const labels = { app: 'web' };
    const finalizers = ['f', 'g', 'f'];
    const r = Paths.make('a', {}, { namespace: 'ns1', labels, annotations: { a: 'b' }, finalizers });
    labels.app = 'changed';
    finalizers.push('h');
    expect(r.metadata).toMatchObject({
      namespace: 'ns1',
      labels: { app: 'web' },
      annotations: { a: 'b' },
      finalizers: ['f', 'g'],
    });
    expect(Object.isFrozen(labels)).toBe(false);
  });

  it('should reject a spec that fails the schema with ValidationError and its issues', () => {
    let error: unknown;
    try {
      Paths.make('bad', { value: 'x' } as never);
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
    const e = error as ValidationError;
    expect(e.pointer).toEqual({ namespace: 'default', type: Paths.type, id: 'bad' });
    expect(e.issues.map((i) => i.path)).toEqual([['value']]);
    expect(e.message).toContain('Paths.define.converge.dev(default/bad)');
    expect(e.message).toContain('value');
  });

  it('should not freeze or keep the caller’s spec object', () => {
    const Loose = defineResource({ type: 'Looses.define.converge.dev', spec: z.unknown() });
    const input = { nested: { n: 1 } };
    const r = Loose.make('a', input);
    input.nested.n = 2;
    expect(r.spec).toEqual({ nested: { n: 1 } });
    expect(Object.isFrozen(input)).toBe(false);
  });
});
