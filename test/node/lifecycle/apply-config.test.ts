import { afterEach, describe, expect, it } from 'vitest';
import { isConfigError, MachineConfigs } from '../../../src/node/index.js';
import { PlatformError } from '../../../src/platform/errors.js';
import {
  cleanup,
  kernelAddresses,
  makeNode,
  settleOn,
  type TestNode,
  workerConfig,
} from './lifecycle-helpers.js';

let t: TestNode | undefined;
afterEach(async () => {
  await cleanup(t);
  t = undefined;
});

async function booted(): Promise<TestNode> {
  const made = await makeNode({ config: workerConfig() });
  t = made;
  await made.node.start();
  await settleOn(made, made.node.booted(), 'first boot');
  return made;
}

const addressOf = async (n: TestNode, id: 'v1alpha1' | 'persistent') =>
  (await n.node.state.get(MachineConfigs.pointer(id))).spec.machine.network.interfaces[0]?.addresses;
const stateFile = async (n: TestNode) =>
  Buffer.from((await n.node.disk.read('STATE', 'config.yaml'))!).toString();

describe('apply-config modes', () => {
  it('should make a no-reboot config persistent and active, and the kernel hold it', async () => {
    const n = await booted();
    const result = await n.node.applyConfig(workerConfig('10.0.0.60/24'), { mode: 'no-reboot', by: 'alice' });
    expect(result).toMatchObject({ mode: 'no-reboot', dryRun: false, version: 2 });
    expect(result.diff).toContain('-          - 10.0.0.50/24\n+          - 10.0.0.60/24');
    await settleOn(n, Promise.resolve(), 'settle');
    expect(await kernelAddresses(n)).toEqual(['eth0 10.0.0.60/24']);
    expect(await addressOf(n, 'persistent')).toEqual(['10.0.0.60/24']);
    expect(await stateFile(n)).toBe(workerConfig('10.0.0.60/24'));
  });

  it('should answer a dry run with the diff and change nothing', async () => {
    const n = await booted();
    const result = await n.node.applyConfig(workerConfig('10.0.0.60/24'), { dryRun: true });
    expect(result).toEqual({
      mode: 'auto',
      dryRun: true,
      diff: expect.stringContaining('+          - 10.0.0.60/24'),
    });
    expect(result.version).toBeUndefined();
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.50/24']);
    expect(await n.node.configHistory()).toHaveLength(1);
    expect(await stateFile(n)).toBe(workerConfig());
  });

  it('should keep a staged config for the next boot only', async () => {
    const n = await booted();
    await n.node.applyConfig(workerConfig('10.0.0.60/24'), { mode: 'staged' });
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.50/24']);
    expect(await addressOf(n, 'persistent')).toEqual(['10.0.0.60/24']);
    await settleOn(n, n.node.reboot(), 'reboot');
    await settleOn(n, n.node.booted(), 'boot');
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.60/24']);
    expect(await kernelAddresses(n)).toContain('eth0 10.0.0.60/24');
  });

  it('should reboot into a config applied with mode reboot', async () => {
    const n = await booted();
    await settleOn(n, n.node.applyConfig(workerConfig('10.0.0.60/24'), { mode: 'reboot' }), 'apply');
    await settleOn(n, n.node.booted(), 'boot');
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.60/24']);
    const reboots = n.node.events.recent().filter((e) => e.type === 'sequence' && e.sequence === 'reboot');
    expect(reboots.length).toBeGreaterThan(0);
  });

  it('should restore the previous config when a try is not confirmed, and keep it when confirmed', async () => {
    const n = await booted();
    await n.node.applyConfig(workerConfig('10.0.0.60/24'), { mode: 'try', tryTimeoutMs: 30_000 });
    await settleOn(n, Promise.resolve(), 'settle');
    expect(await kernelAddresses(n)).toEqual(['eth0 10.0.0.60/24']);
    expect(await addressOf(n, 'persistent')).toEqual(['10.0.0.50/24']);
    await n.clock.advance(30_000);
    await settleOn(n, Promise.resolve(), 'settle');
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.50/24']);
    expect(await kernelAddresses(n)).toEqual(['eth0 10.0.0.50/24']);
    expect(await stateFile(n)).toBe(workerConfig());

    await n.node.applyConfig(workerConfig('10.0.0.70/24'), { mode: 'try', tryTimeoutMs: 30_000 });
    // Any later apply but a try confirms: the tried config stays past the timeout.
    await n.node.applyConfig(workerConfig('10.0.0.70/24'));
    await n.clock.advance(60_000);
    await settleOn(n, Promise.resolve(), 'settle');
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.70/24']);
  });

  it('should refuse a config the schema refuses, naming the line, and change nothing', async () => {
    const n = await booted();
    const error = await n.node.applyConfig(workerConfig().replace('addresses:', 'adresses:')).catch((e) => e);
    expect(isConfigError(error)).toBe(true);
    expect(String(error.message)).toContain('line 8');
    expect(await n.node.configHistory()).toHaveLength(1);
    expect(await stateFile(n)).toBe(workerConfig());
  });

  it('should refuse an apply when the disk is full, at the history or the config write, with nothing changed', async () => {
    const n = await booted();
    n.node.disk.faults.failWrites(1, 'ENOSPC');
    await expect(n.node.applyConfig(workerConfig('10.0.0.60/24'))).rejects.toThrow(/ENOSPC/);
    // The history entry lands, then STATE's config.yaml fails: the entry is taken back.
    n.node.disk.faults.onWriteStep((step, path) => {
      if (step === 'temp-written' && path.endsWith('config.yaml')) {
        throw new PlatformError('ENOSPC', 'no space left on device', { subject: path });
      }
    });
    await expect(n.node.applyConfig(workerConfig('10.0.0.60/24'))).rejects.toThrow(/no space left/);
    n.node.disk.faults.onWriteStep(undefined);
    expect(await n.node.configHistory()).toHaveLength(1);
    expect(await stateFile(n)).toBe(workerConfig());
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.50/24']);
    expect(await addressOf(n, 'persistent')).toEqual(['10.0.0.50/24']);
    expect((await n.node.disk.list('STATE')).filter((f) => f.includes('tmp'))).toEqual([]);
  });
});

describe('config history', () => {
  it('should list every apply with who and how, diff two versions, and return to an earlier one', async () => {
    const n = await booted();
    await n.node.applyConfig(workerConfig('10.0.0.60/24'), { by: 'alice' });
    await n.node.applyConfig(workerConfig('10.0.0.70/24'), { by: 'bob', mode: 'staged' });
    const history = await n.node.configHistory();
    expect(history.map((e) => [e.version, e.by, e.mode])).toEqual([
      [1, 'install', 'install'],
      [2, 'alice', 'auto'],
      [3, 'bob', 'staged'],
    ]);
    expect(history[1]?.time).toBe(new Date(n.clock.now()).toISOString());
    const diff = await n.node.configDiff(1, 3);
    expect(diff).toContain('--- version 1');
    expect(diff).toContain('-          - 10.0.0.50/24\n+          - 10.0.0.70/24');
    expect(await n.node.configDiff(2, 2)).toBe('');
    const restored = await n.node.restoreConfig(1, { by: 'carol' });
    expect(restored.version).toBe(4);
    expect(await addressOf(n, 'v1alpha1')).toEqual(['10.0.0.50/24']);
    expect(await addressOf(n, 'persistent')).toEqual(['10.0.0.50/24']);
    expect((await n.node.configHistory()).at(-1)).toMatchObject({ by: 'carol', config: workerConfig() });
    await expect(n.node.configDiff(1, 9)).rejects.toThrow(/no version 9/);
  });
});
