import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createNode, createSimulatedPlatform, type Node } from '../../src/node/index.js';
import { MachineStatuses } from '../../src/resources/runtime/machine-status.js';
import { Services } from '../../src/resources/runtime/service.js';
import { createVirtualClock } from '../../src/testing/index.js';
import { settle } from './helpers.js';

let node: Node | undefined;
let dir: string | undefined;
afterEach(async () => {
  await node?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  node = undefined;
  dir = undefined;
});

it('runs services on the platform processes, mirrors them as Services and names missing ones in MachineStatus', async () => {
  const clock = createVirtualClock();
  let stops = 0;
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: [{ name: 'eth0', dhcp: true }],
    programs: {
      sleeper: (p) => {
        p.write('up');
        p.terminated.addEventListener('abort', () => {
          stops++;
        });
      },
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'converge-node-services-'));
  // A config, so the node boots instead of waiting in maintenance.
  const config = 'version: v1alpha1\nmachine:\n  type: worker\n';
  node = await createNode({ platform, stateDir: dir, clock, config });
  await node.start();
  node.supervisor.load({
    id: 'sleeper',
    process: () => ({ id: 'sleeper', command: 'sleeper', args: [] }),
    restart: { kind: 'forever' },
  });
  // The boot sequence is running (stage booting): readiness names what is missing.
  await settle(node.runtime, clock);
  const before = await node.state.get(MachineStatuses.pointer('machine'));
  // A worker without a cluster loads neither etcd nor the kubelet: only the sleeper is missing.
  expect(JSON.stringify(before?.spec)).toContain('not running: sleeper"');

  node.supervisor.start('sleeper');
  await settle(node.runtime, clock);
  const service = await node.state.get(Services.pointer('sleeper'));
  expect(service?.spec).toMatchObject({ running: true, unknown: true });
  expect(node.supervisor.logs('sleeper').map((l) => l.line)).toEqual(['up']);

  const current = node;
  node = undefined;
  await current.stop();
  expect(stops).toBe(1);
});

it.each([
  ['worker', '', []],
  ['worker', '\ncluster:\n  controlPlane:\n    endpoint: https://10.5.0.1:6443', ['kubelet']],
  ['controlplane', '', ['etcd']],
  ['controlplane', '\ncluster:\n  controlPlane:\n    endpoint: https://10.5.0.1:6443', ['etcd', 'kubelet']],
])('a %s with cluster %j loads the services its config calls for', async (type, cluster, expected) => {
  const clock = createVirtualClock();
  const platform = createSimulatedPlatform({ clock, seed: 1, links: [{ name: 'eth0', dhcp: true }] });
  dir = await mkdtemp(join(tmpdir(), 'converge-node-services-'));
  node = await createNode({
    platform,
    stateDir: dir,
    clock,
    config: `version: v1alpha1\nmachine:\n  type: ${type}${cluster}\n`,
  });
  await node.start();
  await settle(node.runtime, clock);
  expect(node.supervisor.list().map((s) => s.id)).toEqual(expected);
});
