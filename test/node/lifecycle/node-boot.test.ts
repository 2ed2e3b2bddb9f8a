import { afterEach, describe, expect, it } from 'vitest';
import { MachineStatuses } from '../../../src/node/index.js';
import { cleanup, makeNode, settleOn, type TestNode, workerConfig } from './lifecycle-helpers.js';

let t: TestNode | undefined;
afterEach(async () => {
  await cleanup(t);
  t = undefined;
});

describe('boot', () => {
  it('should install a fresh disk, boot it to running and ready, and record the install in the history', async () => {
    t = await makeNode({ config: workerConfig() });
    await t.node.start();
    await settleOn(t, t.node.booted(), 'boot');
    const status = await t.node.state.get(MachineStatuses.pointer('machine'));
    expect(status.spec).toEqual({ stage: 'running', status: { ready: true, unmetConditions: [] } });
    expect(t.node.version()).toMatchObject({ slot: 'A', image: { version: 'v1.0.0' } });
    const history = await t.node.configHistory();
    expect(history.map((e) => [e.version, e.by, e.mode])).toEqual([[1, 'install', 'install']]);
  });
});

const stage = async (n: TestNode) => (await n.node.state.get(MachineStatuses.pointer('machine'))).spec.stage;
const resetSteps = (n: TestNode) =>
  n.node.events.recent().flatMap((e) => (e.type === 'lifecycle' && e.operation === 'reset' ? [e.step] : []));

describe('maintenance and reset', () => {
  it('should wait in maintenance without a config, then boot to running once one is applied', async () => {
    t = await makeNode();
    await t.node.start();
    await settleOn(t, Promise.resolve(), 'settle');
    expect(await stage(t)).toBe('maintenance');
    // A reboot takes over the boot waiting in maintenance.
    await settleOn(t, t.node.reboot(), 'reboot');
    await settleOn(t, Promise.resolve(), 'settle');
    expect(await stage(t)).toBe('maintenance');
    await t.node.applyConfig(workerConfig(), { by: 'alice' });
    await settleOn(t, t.node.booted(), 'boot');
    expect(await stage(t)).toBe('running');
    expect((await t.node.configHistory()).map((e) => e.by)).toEqual(['alice']);
  });

  it('should reset gracefully: cordon, leave etcd, wipe STATE and EPHEMERAL, boot into maintenance', async () => {
    const left: string[] = [];
    t = await makeNode({
      config: workerConfig(),
      leaveEtcd: async (ctx) => {
        // The hook sees the boot's services, still running before the leave.
        left.push(ctx.supervisor.list().length === 0 ? 'left' : 'services running');
      },
    });
    await t.node.start();
    await settleOn(t, t.node.booted(), 'boot');
    await t.node.disk.write('EPHEMERAL', 'member', 'etcd data');
    await settleOn(t, t.node.reset(), 'reset');
    await settleOn(t, Promise.resolve(), 'settle');
    expect(left).toEqual(['left']);
    expect(resetSteps(t)).toEqual([
      'cordoned',
      'etcd-left',
      'services-stopped',
      'reset-marked',
      'ephemeral-wiped',
      'state-wiped',
      'reset-finished',
    ]);
    expect(await t.node.disk.list('STATE')).toEqual([]);
    expect(await t.node.disk.list('EPHEMERAL')).toEqual([]);
    expect(await stage(t)).toBe('maintenance');
    expect(t.node.version().image.version).toBe('v1.0.0');
  });

  it('should reset by force without leaving etcd, and keep the node whole when a graceful leave fails', async () => {
    let fail = true;
    let leaves = 0;
    t = await makeNode({
      config: workerConfig(),
      rebootDelayMs: 1_000,
      leaveEtcd: async () => {
        leaves++;
        if (fail) throw new Error('etcd has no quorum');
      },
    });
    await t.node.start();
    await settleOn(t, t.node.booted(), 'boot');
    await expect(settleOn(t, t.node.reset(), 'reset')).rejects.toThrow(/etcd has no quorum/);
    await settleOn(t, t.node.booted(), 'boot after the failed reset');
    expect(await stage(t)).toBe('running');
    expect(await t.node.disk.list('STATE')).toContain('config.yaml');
    fail = false;
    await settleOn(t, t.node.reset({ graceful: false }), 'forced reset');
    expect(leaves).toBe(1);
    expect(resetSteps(t)).not.toContain('etcd-left');
    expect(await t.node.disk.list('STATE')).toEqual([]);
  });
});
