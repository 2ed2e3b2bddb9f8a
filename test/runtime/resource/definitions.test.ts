import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createState,
  defineResource,
  isValidationError,
  lookupDefinition,
  ResourceDefinitions,
} from '../../../src/index.js';

const Counters = defineResource({
  type: 'Counters.registry.converge.dev',
  spec: z.object({ n: z.number().int() }),
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('resource definition registry', () => {
  it('should refuse a second, different definition of a type and name both', () => {
    const redefine = () =>
      defineResource({ type: 'Counters.registry.converge.dev', spec: z.object({ n: z.string() }) });
    expect(redefine).toThrow(/Counters\.registry\.converge\.dev is defined twice/);
    expect(redefine).toThrow(/"type":"integer"/);
    expect(redefine).toThrow(/"type":"string"/);
    expect(redefine).toThrow(/definitions\.test\.ts/);
    expect(lookupDefinition(Counters.type)).toBe(Counters);
    // Other settings count too.
    expect(() =>
      defineResource({
        type: 'Counters.registry.converge.dev',
        defaultNamespace: 'elsewhere',
        spec: z.object({ n: z.number().int() }),
      }),
    ).toThrow(/defined twice/);
  });

  it('should accept the same definition again (a module loaded twice)', () => {
    const again = defineResource({
      type: 'Counters.registry.converge.dev',
      spec: z.object({ n: z.number().int() }),
    });
    expect(again.type).toBe(Counters.type);
    expect(lookupDefinition(Counters.type)).toBe(Counters);
  });

  it('should validate with the definitions a state was given, and only those', async () => {
    const given = createState({ definitions: [Counters] });
    const bare = createState({ definitions: [] });
    const byDefault = createState();
    const bad = { ...Counters.make('a', { n: 1 }), spec: { n: 'x' } } as never;
    expect(isValidationError(await rejection(given.create(bad)))).toBe(true);
    expect(isValidationError(await rejection(byDefault.create(bad)))).toBe(true);
    // A state given no definition of the type stores the spec as it is.
    expect(((await bare.create(bad)) as { spec: unknown }).spec).toEqual({ n: 'x' });
    expect(given.definitions?.lookup(Counters.type)).toBe(Counters);
    expect(bare.definitions?.lookup(Counters.type)).toBeUndefined();
    expect(bare.definitions?.lookup(ResourceDefinitions.type)).toBe(ResourceDefinitions);
  });

  it('should register a definition on a state at run time and list it in meta', async () => {
    const state = createState({ definitions: [] });
    await state.create(Counters.make('before', { n: 1 }));
    state.registerDefinition?.(Counters);
    const bad = { ...Counters.make('a', { n: 1 }), spec: { n: 'x' } } as never;
    expect(isValidationError(await rejection(state.create(bad)))).toBe(true);
    const rd = await state.get(ResourceDefinitions.pointer(Counters.type.toLowerCase()));
    expect(rd.spec.type).toBe(Counters.type);
    // The same again is a no-op; a different one is refused and changes nothing.
    state.registerDefinition?.(Counters);
    const other = { ...Counters, spec: z.object({ n: z.boolean() }) };
    expect(() => state.registerDefinition?.(other)).toThrow(/defined twice/);
    expect(state.definitions?.lookup(Counters.type)).toBe(Counters);
  });
});

describe('the validated mark of made specs', () => {
  it('should let the store skip a second parse of a made spec, and only of that very object', async () => {
    let parses = 0;
    const Checked = defineResource({
      type: 'Checkeds.registry.converge.dev',
      spec: z.object({ n: z.number() }).refine(() => ++parses > 0),
    });
    const state = createState();
    const made = Checked.make('a', { n: 1 });
    expect(parses).toBe(1);
    // The mark is invisible: keys, symbols, JSON and copies show only the spec.
    expect(Object.getOwnPropertySymbols(made.spec)).toEqual([]);
    expect(JSON.stringify(made.spec)).toBe('{"n":1}');
    expect({ ...made.spec }).toEqual(made.spec);
    await state.create(made);
    expect(parses).toBe(1);
    // A copy does not carry the mark: a changed copy is validated, and refused when invalid.
    await state.create({ ...made, metadata: { ...made.metadata, id: 'b' }, spec: { ...made.spec } });
    expect(parses).toBe(2);
    const bad = { ...made, metadata: { ...made.metadata, id: 'c' }, spec: { ...made.spec, n: 'x' } };
    expect(isValidationError(await rejection(state.create(bad as never)))).toBe(true);
  });
});
