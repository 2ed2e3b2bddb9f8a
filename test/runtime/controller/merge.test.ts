import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineResource, input, mergeController } from '../../../src/index.js';
import { type Harness, harness } from './fixtures.js';

const LinkSpecs = defineResource({
  type: 'LinkSpecs.merge.test.converge.dev',
  defaultNamespace: 'network',
  spec: z.object({
    name: z.string(),
    layer: z.number().int(),
    mtu: z.number().int().optional(),
    up: z.boolean().optional(),
    kind: z.string().optional(),
  }),
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const layer = (id: string, spec: z.input<typeof LinkSpecs.spec>) =>
  LinkSpecs.make(id, spec, { namespace: 'network-config' });

const MergeLinks = mergeController({
  name: 'LinkMergeController',
  input: { definition: LinkSpecs, namespace: 'network-config' },
  output: LinkSpecs,
  key: (l) => l.spec.name,
  priority: (l) => l.spec.layer,
  // Later (higher) layers override the fields they set; the merged layer is the highest seen.
  merge: (layers) => Object.assign({}, ...layers.map((l) => l.spec)),
  labels: (layers) => ({ layers: String(layers.length) }),
});

async function merged(h: Harness): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const r of await h.state.list(LinkSpecs.kind()))
    out[r.metadata.id] = { ...r.spec, labels: r.metadata.labels };
  return out;
}

describe('mergeController', () => {
  it('should merge per-layer specs into one output per key, by priority read from data', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(MergeLinks);
    await runtime.start();
    await state.create(
      layer('default/eth0', { name: 'eth0', layer: 0, mtu: 1500, up: false, kind: 'physical' }),
    );
    await state.create(layer('configuration/eth0', { name: 'eth0', layer: 40, up: true }));
    await state.create(layer('cmdline/eth0', { name: 'eth0', layer: 20, mtu: 9000 }));
    await state.create(layer('default/lo', { name: 'lo', layer: 0, up: true }));
    await runtime.settled();
    expect(await merged(h)).toEqual({
      eth0: { name: 'eth0', layer: 40, mtu: 9000, up: true, kind: 'physical', labels: { layers: '3' } },
      lo: { name: 'lo', layer: 0, up: true, labels: { layers: '1' } },
    });

    // Priority comes from data: lowering the configuration layer below cmdline changes the winner.
    const conf = await state.get(LinkSpecs.pointer('configuration/eth0', 'network-config'));
    await state.update({ ...conf, spec: { ...conf.spec, layer: 10, mtu: 1280 } });
    await runtime.settled();
    expect((await merged(h)).eth0).toMatchObject({ layer: 20, mtu: 9000, up: true });

    // A layer tearing down no longer counts; a key with no layers left loses its output.
    await state.teardown(LinkSpecs.pointer('cmdline/eth0', 'network-config'));
    await state.destroy(LinkSpecs.pointer('default/lo', 'network-config'));
    await runtime.settled();
    expect(await merged(h)).toEqual({
      eth0: { name: 'eth0', layer: 10, mtu: 1280, up: true, kind: 'physical', labels: { layers: '2' } },
    });
    expect((await state.get(LinkSpecs.pointer('eth0'))).metadata.owner).toBe('LinkMergeController');
  });

  it('should default to the highest-priority layer, and wait for consumers before destroying an output', async () => {
    h = harness();
    const { state, runtime } = h;
    runtime.register(
      mergeController({
        name: 'Highest',
        input: { definition: LinkSpecs, namespace: 'network-config' },
        output: LinkSpecs,
        key: (l) => l.spec.name,
        priority: (l) => l.spec.layer,
      }),
    );
    let holding = true;
    runtime.register(
      defineController({
        name: 'LinkSpecController',
        inputs: [input.strong(LinkSpecs)],
        outputs: [],
        async reconcile(ctx) {
          for (const l of await ctx.list(LinkSpecs.kind())) {
            const p = LinkSpecs.pointer(l.metadata.id);
            if (l.metadata.phase === 'running' && !l.metadata.finalizers.includes('applied')) {
              await ctx.addFinalizer(p, 'applied');
            } else if (l.metadata.phase === 'tearingDown' && !holding) {
              await ctx.removeFinalizer(p, 'applied');
            }
          }
        },
      }),
    );
    await runtime.start();
    await state.create(layer('a', { name: 'eth1', layer: 1, mtu: 1000 }));
    await state.create(layer('b', { name: 'eth1', layer: 3, mtu: 3000 }));
    await state.create(layer('c', { name: 'eth1', layer: 2, mtu: 2000 }));
    await runtime.settled();
    expect((await state.get(LinkSpecs.pointer('eth1'))).spec).toEqual({ name: 'eth1', layer: 3, mtu: 3000 });
    for (const id of ['a', 'b', 'c']) await state.destroy(LinkSpecs.pointer(id, 'network-config'));
    await runtime.settled();
    const held = await state.get(LinkSpecs.pointer('eth1'));
    expect(held.metadata.phase).toBe('tearingDown');
    expect(held.metadata.finalizers).toEqual(['applied']);
    holding = false;
    await state.create(layer('unrelated', { name: 'eth9', layer: 0 }));
    await runtime.settled();
    await expect(state.get(LinkSpecs.pointer('eth1'))).rejects.toThrow(/not found/);
    expect((await state.get(LinkSpecs.pointer('eth9'))).spec.layer).toBe(0);
  });

  it('should reject bad options at once', () => {
    const base = { name: 'M', input: { definition: LinkSpecs, namespace: 'x' }, output: LinkSpecs };
    expect(() => mergeController({ ...base, key: 1 as never, priority: () => 0 })).toThrow(
      /key must be a function/,
    );
    expect(() => mergeController({ ...base, key: () => 'k', priority: undefined as never })).toThrow(
      /priority/,
    );
    expect(() => mergeController({ ...base, input: LinkSpecs, key: () => 'k', priority: () => 0 })).toThrow(
      /different kinds/,
    );
  });
});
