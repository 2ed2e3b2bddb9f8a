import type { Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyResource,
  createState,
  defineResource,
  type Kind,
  type Pointer,
  type Resource,
  type ResourceOf,
  type ResourceRecipe,
  type SpecInputOf,
  type SpecOf,
  type WatchEvent,
} from '../../src/index.js';

const Services = defineResource({
  type: 'Services.types.converge.dev',
  spec: z.object({
    host: z.string(),
    port: z.number().int(),
    tags: z.array(z.string()).default([]),
  }),
});
type Service = ResourceOf<typeof Services>;

const Endpoints = defineResource({
  type: 'Endpoints.types.converge.dev',
  spec: z.object({ url: z.string() }),
});
type Endpoint = ResourceOf<typeof Endpoints>;

const state = createState();

describe('resource types', () => {
  it('should infer the spec from the schema: output stored, input accepted', () => {
    expectTypeOf<SpecOf<typeof Services>>().toEqualTypeOf<{ host: string; port: number; tags: string[] }>();
    expectTypeOf<SpecInputOf<typeof Services>>().toEqualTypeOf<{
      host: string;
      port: number;
      tags?: string[] | undefined;
    }>();
    expectTypeOf<Service['spec']>().toEqualTypeOf<Readonly<SpecOf<typeof Services>>>();
    expectTypeOf<Service>().toEqualTypeOf<Resource<typeof Services>>();
  });

  it('should keep the literal type name', () => {
    expectTypeOf(Services.type).toEqualTypeOf<'Services.types.converge.dev'>();
    expectTypeOf<Service['metadata']['type']>().toEqualTypeOf<'Services.types.converge.dev'>();
    expectTypeOf(Services.pointer('a').type).toEqualTypeOf<'Services.types.converge.dev'>();
    expectTypeOf(Services.kind()).toEqualTypeOf<Kind<typeof Services>>();
    expectTypeOf(Services.pointer('a')).toEqualTypeOf<Pointer<typeof Services>>();
  });

  it('should make resources from the input type and type them with the output type', () => {
    const made = Services.make('a', { host: 'h', port: 1 });
    expectTypeOf(made).toEqualTypeOf<Service>();
    expectTypeOf(made.spec.tags).toEqualTypeOf<string[]>();
    Services.make('b', { host: 'h', port: 1, tags: ['x'] });
    // @ts-expect-error: a field the schema does not have
    Services.make('c', { host: 'h', port: 1, nope: true });
    // @ts-expect-error: a field of the wrong type
    Services.make('d', { host: 1, port: 1 });
    // @ts-expect-error: a required field left out
    Services.make('e', { host: 'h' });
    // @ts-expect-error: the spec of another type
    Services.make('f', { url: 'http://x' });
  });

  it('should not let a stored resource be assigned to', () => {
    const made = Services.make('a', { host: 'h', port: 1 });
    // @ts-expect-error: specs are read-only
    made.spec.port = 2;
    // @ts-expect-error: metadata is read-only
    made.metadata.version = 2;
  });
});

describe('state types', () => {
  it('should type reads by the definition behind the pointer or kind', async () => {
    expectTypeOf(state.get(Services.pointer('x'))).toEqualTypeOf<Promise<ResourceOf<typeof Services>>>();
    expectTypeOf(state.list(Services.kind())).toEqualTypeOf<Promise<readonly Service[]>>();
    expectTypeOf(state.get({ namespace: 'n', type: 't', id: 'i' })).toEqualTypeOf<Promise<AnyResource>>();
    const svc = await state.get(Services.pointer('x'));
    expectTypeOf(svc.spec.port).toEqualTypeOf<number>();
    // @ts-expect-error: a Service pointer does not read an Endpoint
    const wrong: Endpoint = await state.get(Services.pointer('x'));
    void wrong;
  });

  it('should return what it is given from create and update', () => {
    const made = Services.make('a', { host: 'h', port: 1 });
    expectTypeOf(state.create(made)).toEqualTypeOf<Promise<Service>>();
    expectTypeOf(state.update(made)).toEqualTypeOf<Promise<Service>>();
  });

  it('should type watch events by the definition', () => {
    expectTypeOf(state.watch(Services.pointer('a'))).toEqualTypeOf<Observable<WatchEvent<typeof Services>>>();
    expectTypeOf(state.watchKindAggregated(Services.kind())).toEqualTypeOf<
      Observable<WatchEvent<typeof Services>[]>
    >();
    state.watchKind(Services.kind()).subscribe((e) => {
      if (e.type === 'updated') {
        expectTypeOf(e.resource.spec.host).toEqualTypeOf<string>();
        expectTypeOf(e.old).toEqualTypeOf<Service>();
      }
      if (e.type === 'bootstrapped') expectTypeOf(e.resourceType).toEqualTypeOf<string>();
    });
  });

  it('should hand updateWithConflicts and modify a typed, mutable draft', async () => {
    const updated = await state.updateWithConflicts(Services.pointer('a'), (d) => {
      expectTypeOf(d.spec.port).toEqualTypeOf<number>();
      d.spec.port = 2;
      d.spec.tags.push('x');
      d.metadata.labels.k = 'v';
      d.metadata.finalizers.push('f');
      d.metadata.phase = 'tearingDown';
    });
    expectTypeOf(updated).toEqualTypeOf<Service>();
    const modified = await state.modify(Services.make('a', { host: 'h', port: 1 }), async (d) => {
      d.spec.host = 'other';
    });
    expectTypeOf(modified).toEqualTypeOf<Service>();
  });

  it('should not compile writing an Endpoint through a Service', async () => {
    await state.updateWithConflicts(Services.pointer('a'), (d) => {
      // @ts-expect-error: a Service has no url
      d.spec.url = 'http://x';
    });
    await state.updateWithConflicts(Services.pointer('a'), (d) => {
      // @ts-expect-error: port is a number
      d.spec.port = '80';
    });
    const endpointRecipe: ResourceRecipe<typeof Endpoints> = (d) => {
      d.spec.url = 'http://x';
    };
    // @ts-expect-error: an Endpoint recipe through a Service pointer
    await state.updateWithConflicts(Services.pointer('a'), endpointRecipe);
    // @ts-expect-error: an Endpoint recipe on a Service template
    await state.modify(Services.make('a', { host: 'h', port: 1 }), endpointRecipe);
    await state.modify(Services.make('a', { host: 'h', port: 1 }), (d) => {
      // @ts-expect-error: a Service has no url
      d.spec.url = 'http://x';
    });
    // @ts-expect-error: an Endpoint template typed as a Service
    await state.modify<typeof Services>(Endpoints.make('e', { url: 'x' }), () => {});
  });
});
