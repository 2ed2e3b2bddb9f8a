import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDiskBoot,
  MachineStatuses,
  metaKeys,
  openMetaStore,
  PlatformError,
  UpgradeRefusedError,
} from '../../../src/node/index.js';
import { cleanup, makeNode, settleOn, type TestNode, workerConfig } from './lifecycle-helpers.js';

let t: TestNode | undefined;
afterEach(async () => {
  await cleanup(t);
  t = undefined;
});

async function booted(options: Parameters<typeof makeNode>[0] = {}): Promise<TestNode> {
  const made = await makeNode({ config: workerConfig(), ...options });
  t = made;
  await made.node.start();
  await settleOn(made, made.node.booted(), 'first boot');
  return made;
}

const marker = async (n: TestNode) => (await openMetaStore(n.node.disk)).get(metaKeys.upgrade);
const slots = async (n: TestNode) => createDiskBoot(n.node.disk).state();
const lifecycleSteps = (n: TestNode) =>
  n.node.events.recent().flatMap((e) => (e.type === 'lifecycle' ? [`${e.operation}:${e.step}`] : []));

describe('upgrade', () => {
  it('should write the other slot, reboot into it and commit once running and ready', async () => {
    const n = await booted();
    const result = await settleOn(n, n.node.upgrade({ image: { version: 'v1.1.0' } }), 'upgrade');
    expect(result).toEqual({ version: 'v1.1.0', slot: 'B', previous: 'A' });
    await settleOn(n, n.node.booted(), 'boot of v1.1.0');
    expect(n.node.version()).toMatchObject({ slot: 'B', image: { version: 'v1.1.0' } });
    expect(await marker(n)).toBeUndefined();
    expect(await slots(n)).toEqual({ defaultSlot: 'B', versions: { A: 'v1.0.0', B: 'v1.1.0' } });
    expect(lifecycleSteps(n)).toEqual([
      'upgrade:slot-written',
      'upgrade:marker-written',
      'upgrade:default-flipped',
      'upgrade:services-stopped',
      'boot:upgrade-committed',
    ]);
    const status = await n.node.state.get(MachineStatuses.pointer('machine'));
    expect(status.spec.stage).toBe('running');
    // Committed: the config survived the reboot from STATE.
    expect((await n.node.configHistory()).length).toBe(1);
  });

  it('should retry a commit whose META write fails, with backoff on the clock, saying so once', async () => {
    const lines: Array<{ level: number; msg: string; attempt?: number }> = [];
    let armed = false;
    const failedAt: number[] = [];
    const n = await booted({
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
      // The marker is written before this step; the next META write is the new version's commit.
      lifecycleHook: (operation, step) => {
        if (operation === 'upgrade' && step === 'services-stopped') armed = true;
      },
    });
    n.node.disk.faults.onWriteStep((step, path) => {
      if (armed && step === 'temp-written' && path.endsWith('meta.json') && failedAt.length < 3) {
        failedAt.push(n.clock.now());
        throw new PlatformError('ENOSPC', 'no space left on device', { subject: path });
      }
    });
    await settleOn(n, n.node.upgrade({ image: { version: 'v1.1.0' } }), 'upgrade');
    await settleOn(n, n.node.booted(), 'boot of v1.1.0 and its commit');
    expect(failedAt).toHaveLength(3);
    expect(await marker(n)).toBeUndefined();
    expect(lifecycleSteps(n).at(-1)).toBe('boot:upgrade-committed');
    // Each wait is longer than the one before, on the node's clock.
    expect(failedAt[2]! - failedAt[1]!).toBeGreaterThan(failedAt[1]! - failedAt[0]!);
    const commitLines = lines.filter((l) => l.msg.includes('v1.1.0') && l.msg.includes('commit'));
    expect(commitLines.map((l) => [l.level, l.msg, l.attempt])).toEqual([
      [40, 'committing v1.1.0 failed', 1],
      [30, 'committed v1.1.0 after failed attempts', undefined],
    ]);
  });

  it('should revert a version whose services never come up, and keep the last good slot through a second one', async () => {
    const n = await booted();
    const failing = (version: string) => ({ version, failingServices: ['apid'] });
    await settleOn(n, n.node.upgrade({ image: failing('v1.1.0') }), 'upgrade');
    await settleOn(n, n.node.booted(), 'revert to v1.0.0');
    expect(n.node.version()).toMatchObject({ slot: 'A', image: { version: 'v1.0.0' } });
    expect(await marker(n)).toBeUndefined();
    const revert = n.node.events.recent().find((e) => e.type === 'sequence' && e.error?.code === 'fatal');
    expect(revert).toMatchObject({ sequence: 'boot', error: { message: expect.stringContaining('apid') } });

    await settleOn(n, n.node.upgrade({ image: failing('v1.2.0') }), 'second upgrade');
    await settleOn(n, n.node.booted(), 'second revert');
    expect(n.node.version()).toMatchObject({ slot: 'A', image: { version: 'v1.0.0' } });
    expect(await slots(n)).toEqual({ defaultSlot: 'A', versions: { A: 'v1.0.0', B: 'v1.2.0' } });
  });

  it('should still reboot when the revert of a failing version cannot write META, and finish it there', async () => {
    let armed = false;
    let failed = 0;
    const n = await booted({
      lifecycleHook: (operation, step) => {
        if (operation === 'upgrade' && step === 'services-stopped') armed = true;
      },
    });
    // The revert flips the default back, then its META delete meets a full disk (once).
    n.node.disk.faults.onWriteStep((step, path) => {
      if (armed && step === 'temp-written' && path.endsWith('meta.json') && failed === 0) {
        failed++;
        throw new PlatformError('ENOSPC', 'no space left on device', { subject: path });
      }
    });
    await settleOn(n, n.node.upgrade({ image: { version: 'v2.0.0', failsToBoot: true } }), 'upgrade');
    await settleOn(n, n.node.booted(), 'reboot into v1.0.0 after the half-done revert');
    expect(failed).toBe(1);
    expect(n.node.version()).toMatchObject({ slot: 'A', image: { version: 'v1.0.0' } });
    expect(await marker(n)).toBeUndefined();
  });

  it('should revert a version that fails to boot at once', async () => {
    const n = await booted();
    await settleOn(n, n.node.upgrade({ image: { version: 'v2.0.0', failsToBoot: true } }), 'upgrade');
    await settleOn(n, n.node.booted(), 'revert');
    expect(n.node.version().image.version).toBe('v1.0.0');
    expect(lifecycleSteps(n)).toContain('boot:default-reverted');
  });

  it('should roll back on purpose to the previous slot, and refuse when there is none', async () => {
    const n = await booted();
    await expect(n.node.rollback()).rejects.toThrow(/nothing to roll back to: slot B holds no image/);
    await settleOn(n, n.node.upgrade({ image: { version: 'v1.1.0' } }), 'upgrade');
    await settleOn(n, n.node.booted(), 'boot of v1.1.0');
    expect(await settleOn(n, n.node.rollback(), 'rollback')).toBe('A');
    await settleOn(n, n.node.booted(), 'boot of v1.0.0');
    expect(n.node.version()).toMatchObject({ slot: 'A', image: { version: 'v1.0.0' } });
    expect(await marker(n)).toBeUndefined();
  });

  it('should refuse with the guard reason, an invalid image, or an upgrade not yet committed, changing nothing', async () => {
    let quorum = false;
    const n = await booted({ upgradeGuard: async () => (quorum ? undefined : 'etcd would lose quorum') });
    await expect(n.node.upgrade({ image: { version: 'v1.1.0' } })).rejects.toThrow(
      new UpgradeRefusedError('upgrade refused: etcd would lose quorum'),
    );
    await expect(n.node.upgrade({ image: { version: 'one' } })).rejects.toThrow(/invalid image.*v1\.2\.0/s);
    expect(await slots(n)).toEqual({ defaultSlot: 'A', versions: { A: 'v1.0.0' } });
    // `force` skips the guard; `noReboot` leaves the new slot for the next boot.
    const result = await n.node.upgrade({ image: { version: 'v1.1.0' }, force: true, noReboot: true });
    expect(result).toEqual({ version: 'v1.1.0', slot: 'B', previous: 'A' });
    expect(n.node.version().image.version).toBe('v1.0.0');
    quorum = true;
    await expect(n.node.upgrade({ image: { version: 'v1.2.0' } })).rejects.toThrow(/not committed yet/);
    await settleOn(n, n.node.reboot(), 'reboot');
    await settleOn(n, n.node.booted(), 'boot of v1.1.0');
    expect(n.node.version().image.version).toBe('v1.1.0');
    expect(await marker(n)).toBeUndefined();
  });

  it('should install a staged upgrade at the next boot, before anything runs', async () => {
    const n = await booted();
    const result = await settleOn(n, n.node.upgrade({ image: { version: 'v1.1.0' }, stage: true }), 'stage');
    expect(result).toEqual({ version: 'v1.1.0', slot: undefined, previous: 'A' });
    await settleOn(n, n.node.booted(), 'boot of v1.1.0');
    expect(n.node.version()).toMatchObject({ slot: 'B', image: { version: 'v1.1.0' } });
    const meta = await openMetaStore(n.node.disk);
    expect(meta.entries()).toEqual([]);
    const sequences = n.node.events
      .recent()
      .flatMap((e) => (e.type === 'sequence' && e.action === 'start' ? [e.sequence] : []));
    expect(sequences).toEqual([
      'initialize',
      'boot',
      'stageUpgrade',
      'initialize',
      'install',
      'reboot',
      'initialize',
      'boot',
    ]);
  });
});
