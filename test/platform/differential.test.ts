/**
 * The simulated kernel against Linux: random sequences of the same calls on both, and after each
 * call the same outcome (resolved or the same errno) and the same links, IPv4 addresses and routes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isPlatformError } from '../../src/platform/errors.js';
import { createLinuxPlatform } from '../../src/platform/linux/create-linux-platform.js';
import type { NetworkPlatform } from '../../src/platform/network.js';
import { createSimulatedPlatform } from '../../src/platform/simulated/create-simulated-platform.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { createTestNetns, removeLeftoverNetns } from './helpers/netns.js';

type Call = (net: NetworkPlatform) => Promise<void>;
interface Op {
  readonly label: string;
  readonly call: Call;
}

const links = ['eth0', 'br0'];
const addresses = ['10.1.0.5/24', '10.1.0.6/24', '10.2.0.5/24', '10.1.0.9/32'];
const gateways = ['10.1.0.1', '10.2.0.1', '10.9.0.1'];
const destinations = ['', '10.8.0.0/16', '10.7.0.0/24'];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ name: fc.constantFrom(...links), up: fc.boolean() }).map(({ name, up }) => ({
    label: `ensureLink ${name} ${up ? 'up' : 'down'}`,
    call: (net: NetworkPlatform) =>
      net.ensureLink(
        name === 'br0' ? { name, logical: true, kind: 'bridge', up } : { name, logical: false, up },
      ),
  })),
  fc.constant({ label: 'deleteLink br0', call: (net: NetworkPlatform) => net.deleteLink('br0') }),
  fc.record({ linkName: fc.constantFrom(...links), address: fc.constantFrom(...addresses) }).map((a) => ({
    label: `addAddress ${a.linkName} ${a.address}`,
    call: (net: NetworkPlatform) => net.addAddress(a),
  })),
  fc.record({ linkName: fc.constantFrom(...links), address: fc.constantFrom(...addresses) }).map((a) => ({
    label: `removeAddress ${a.linkName} ${a.address}`,
    call: (net: NetworkPlatform) => net.removeAddress(a),
  })),
  fc
    .record({
      destination: fc.constantFrom(...destinations),
      gateway: fc.constantFrom(...gateways, ''),
      outLinkName: fc.constantFrom(...links, ''),
      priority: fc.constantFrom(0, 1024),
      table: fc.constantFrom(254, 100),
    })
    .map((r) => ({
      label: `addRoute ${JSON.stringify(r)}`,
      call: (net: NetworkPlatform) => net.addRoute({ family: 'inet4', ...r }),
    })),
  fc
    .record({
      destination: fc.constantFrom(...destinations),
      priority: fc.constantFrom(0, 1024),
      table: fc.constantFrom(254, 100),
    })
    .map((r) => ({
      label: `removeRoute ${JSON.stringify(r)}`,
      call: (net: NetworkPlatform) => net.removeRoute({ family: 'inet4', ...r }),
    })),
);

async function outcome(call: Promise<void>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (isPlatformError(error)) return error.code;
    throw error;
  }
}

/** What both kernels must agree on (IPv6 link-local and DAD are left out: they are timing-dependent). */
async function observe(net: NetworkPlatform) {
  const shown = new Set(['lo', ...links]);
  return {
    links: (await net.links())
      .filter((l) => shown.has(l.name))
      .map((l) => ({ name: l.name, up: l.up, carrier: l.carrier, state: l.operationalState, kind: l.kind })),
    addresses: (await net.addresses())
      .filter((a) => a.family === 'inet4' && shown.has(a.linkName))
      .map((a) => `${a.linkName} ${a.address} ${a.flags.join(',')}`)
      .sort(),
    routes: (await net.routes())
      .filter((r) => r.family === 'inet4')
      .map(
        (r) =>
          `${r.table} ${r.destination} via ${r.gateway} dev ${r.outLinkName} src ${r.source} metric ${r.priority} ${r.scope} ${r.protocol}`,
      )
      .sort(),
  };
}

describe('simulated kernel against Linux', () => {
  afterEach(removeLeftoverNetns);

  it('random call sequences give the same outcomes and the same kernel state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 20 }), async (ops) => {
        const ns = await createTestNetns();
        const stateDir = await mkdtemp(join(tmpdir(), 'cvg-diff-'));
        const linux = createLinuxPlatform({ netns: ns.name, stateDir, physicalLinks: ['eth0'] });
        const simulated = createSimulatedPlatform({
          clock: createVirtualClock(),
          seed: 1,
          links: [{ name: 'eth0' }],
        });
        try {
          await ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-p');
          await ns.ip('link', 'set', 'eth0-p', 'up');
          const steps: string[] = [];
          for (const { label, call } of ops) {
            const [onLinux, onSimulated] = [
              await outcome(call(linux.network)),
              await outcome(call(simulated.network)),
            ];
            steps.push(`${label} → ${onLinux}`);
            expect(onSimulated, steps.join('\n')).toBe(onLinux);
            expect(await observe(simulated.network), steps.join('\n')).toEqual(await observe(linux.network));
          }
        } finally {
          await Promise.all([linux.close(), simulated.close()]);
          await ns.remove();
          await rm(stateDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 6 },
    );
  }, 240_000);
});
