import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeLinkSpecs } from '../../../src/controllers/network/merge-rules.js';
import {
  AddressSpecs,
  type ConfigLayer,
  configLayers,
  LinkSpecs,
  layeredId,
  layerPriority,
} from '../../../src/resources/network/index.js';
import {
  applyConfig,
  configControllers,
  mergeControllers,
  type NetHarness,
  specs,
  startHarness,
} from './helpers.js';

let h: NetHarness | undefined;
afterEach(async () => {
  await h?.runtime.stop();
  h = undefined;
});

const withAddress = (addresses: string) => `version: v1alpha1
machine:
  type: worker
  network:
    interfaces:
      - interface: eth0
        addresses: [${addresses}]
`;

describe('network merge controllers', () => {
  it('should destroy a merged spec that lost its layers only once the spec controller lets go', async () => {
    h = await startHarness([...configControllers(), ...mergeControllers()]);
    const { state, runtime } = h;
    await applyConfig(state, withAddress('10.0.0.11/24'));
    await runtime.settled();
    const merged = AddressSpecs.pointer('eth0/10.0.0.11/24', 'network');
    // The spec controller holds what it applied to the kernel.
    await state.addFinalizer(merged, 'network.AddressSpecController');

    await applyConfig(state, withAddress(''));
    await runtime.settled();
    expect((await state.get(merged)).metadata.phase).toBe('tearingDown');

    // Wanted again while still tearing down: not re-created in the same pass.
    await applyConfig(state, withAddress('10.0.0.11/24'));
    await runtime.settled();
    expect((await state.get(merged)).metadata.phase).toBe('tearingDown');

    // The kernel address is gone: the finalizer goes, the old spec is destroyed and a new one made.
    await state.removeFinalizer(merged, 'network.AddressSpecController');
    await runtime.settled();
    const again = await state.get(merged);
    expect([again.metadata.phase, again.metadata.version]).toEqual(['running', 1]);

    await applyConfig(state, withAddress(''));
    await runtime.settled();
    expect(Object.keys(await specs(state, AddressSpecs, 'network'))).toEqual([
      'lo/127.0.0.1/8',
      'lo/::1/128',
    ]);
  });

  it('should merge to the same result whatever order the layers arrive in (property)', async () => {
    const entry = fc.record({
      link: fc.constantFrom('eth0', 'eth1'),
      layer: fc.constantFrom<ConfigLayer>(...configLayers),
      mtu: fc.constantFrom(0, 1400, 9000),
      up: fc.boolean(),
      source: fc.constantFrom('a', 'b'),
    });
    const entries = fc
      .uniqueArray(entry, { minLength: 1, maxLength: 8, selector: (e) => `${e.layer}/${e.source}/${e.link}` })
      .chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length })));
    await fc.assert(
      fc.asyncProperty(entries, async ([list, order]) => {
        const run = await startHarness(mergeControllers());
        try {
          const make = (e: (typeof list)[number]) =>
            LinkSpecs.make(
              layeredId(e.layer, `${e.source}/${e.link}`),
              { name: e.link, mtu: e.mtu, up: e.up, layer: e.layer },
              { namespace: 'network-config' },
            );
          for (const e of order) await run.state.create(make(e));
          await run.runtime.settled();
          const expected: Record<string, unknown> = {};
          for (const name of ['eth0', 'eth1']) {
            const layers = list
              .filter((e) => e.link === name)
              .map(make)
              .sort(
                (a, b) =>
                  layerPriority(a.spec.layer) - layerPriority(b.spec.layer) ||
                  (a.metadata.id < b.metadata.id ? -1 : 1),
              );
            const merged = mergeLinkSpecs(layers.map((l) => l.spec));
            if (merged !== null) expected[name] = merged;
          }
          expect(await specs(run.state, LinkSpecs, 'network')).toEqual(expected);
        } finally {
          await run.runtime.stop();
        }
      }),
      { numRuns: 25 },
    );
  });
});
