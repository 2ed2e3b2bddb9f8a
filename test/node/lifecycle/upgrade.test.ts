import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeImage, parseNodeImage } from '../../../src/node/lifecycle/node-image.js';
import {
  commitUpgrade,
  installUpgrade,
  revertIfUpgradePending,
  rollback,
  UpgradeRefusedError,
  upgradeSteps,
} from '../../../src/node/lifecycle/upgrade.js';
import { createDiskBoot } from '../../../src/platform/boot/disk-boot.js';
import type { BootSlot } from '../../../src/platform/boot.js';
import { createFileDisk } from '../../../src/platform/disk/file-disk.js';
import { metaKeys, openMetaStore } from '../../../src/platform/disk/meta-store.js';

class Crash extends Error {}

const image = (version: string, failsToBoot = false): NodeImage => parseNodeImage({ version, failsToBoot });

/**
 * A machine made of a real disk: `boot()` reads the default slot the way a node's boot does: an
 * image that fails reverts a pending upgrade and boots again; one that comes up commits it.
 */
async function machine(stateDir: string) {
  const disk = createFileDisk({ stateDir });
  const boot = createDiskBoot(disk);
  let booted: BootSlot = 'A';
  const running = async (): Promise<NodeImage> => parseNodeImage((await boot.readSlot(booted))!.image);
  return {
    boot,
    disk,
    meta: () => openMetaStore(disk),
    booted: () => booted,
    running,
    /** Boots the default slot; reverts and boots again while it fails (at most twice). */
    async powerOn(): Promise<NodeImage> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const meta = await openMetaStore(disk);
        booted = (await boot.state()).defaultSlot;
        const current = await running();
        if (!current.failsToBoot) {
          await commitUpgrade(meta);
          return current;
        }
        if ((await revertIfUpgradePending(boot, meta)) === undefined) throw new Error('no bootable slot');
      }
      throw new Error('boot loop');
    },
  };
}

describe('A/B upgrades', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cvg-upgrade-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  async function installed(version = 'v1.0.0') {
    const m = await machine(stateDir);
    await m.boot.writeSlot('A', { version, image: JSON.stringify(image(version)) });
    await m.boot.setDefault('A');
    await m.powerOn();
    return m;
  }

  it('should write the other slot, mark the upgrade, flip the default, and commit once the new version runs', async () => {
    const m = await installed();
    const meta = await m.meta();
    expect(await installUpgrade(m.boot, meta, m.booted(), image('v1.1.0'))).toEqual({
      slot: 'B',
      previous: 'A',
    });
    expect(meta.get(metaKeys.upgrade)).toBe('A');
    expect((await m.powerOn()).version).toBe('v1.1.0');
    expect((await m.meta()).get(metaKeys.upgrade)).toBeUndefined();
    expect(await m.boot.state()).toEqual({ defaultSlot: 'B', versions: { A: 'v1.0.0', B: 'v1.1.0' } });
  });

  it('should revert a version that fails to boot, and keep the last good slot through a second failure', async () => {
    const m = await installed();
    await installUpgrade(m.boot, await m.meta(), m.booted(), image('v1.1.0', true));
    expect((await m.powerOn()).version).toBe('v1.0.0');
    expect(m.booted()).toBe('A');
    await installUpgrade(m.boot, await m.meta(), m.booted(), image('v1.2.0', true));
    expect((await m.powerOn()).version).toBe('v1.0.0');
    expect((await m.boot.state()).versions).toEqual({ A: 'v1.0.0', B: 'v1.2.0' });
  });

  it('should refuse a second upgrade before the first is committed, since it would overwrite the last good slot', async () => {
    const m = await installed();
    const meta = await m.meta();
    await installUpgrade(m.boot, meta, m.booted(), image('v1.1.0'));
    await expect(installUpgrade(m.boot, meta, 'B', image('v1.2.0'))).rejects.toThrow(UpgradeRefusedError);
    expect((await m.boot.state()).versions.A).toBe('v1.0.0');
  });

  it('should roll back on purpose to the other slot, and refuse when there is none', async () => {
    const m = await installed();
    await expect(rollback(m.boot, await m.meta(), m.booted())).rejects.toThrow(/holds no image/);
    await installUpgrade(m.boot, await m.meta(), m.booted(), image('v1.1.0'));
    await m.powerOn();
    expect(await rollback(m.boot, await m.meta(), m.booted())).toBe('A');
    expect((await m.powerOn()).version).toBe('v1.0.0');
  });

  it('should come back by itself from a rollback to a slot a failed upgrade left broken', async () => {
    const m = await installed();
    await installUpgrade(m.boot, await m.meta(), m.booted(), image('v1.1.0', true));
    expect((await m.powerOn()).version).toBe('v1.0.0');
    expect(await rollback(m.boot, await m.meta(), m.booted())).toBe('B');
    expect((await m.powerOn()).version).toBe('v1.0.0');
  });

  it('should boot a consistent version after a crash at every step of an upgrade', async () => {
    for (const [i, step] of upgradeSteps.entries()) {
      await rm(stateDir, { recursive: true, force: true });
      const m = await installed();
      const failing = i % 2 === 1;
      await expect(
        installUpgrade(m.boot, await m.meta(), m.booted(), image('v2.0.0', failing), (s) => {
          if (s === step) throw new Crash(s);
        }),
      ).rejects.toThrow(Crash);
      const version = (await m.powerOn()).version;
      // Before the flip the old version boots; after it the new one, or the old again if it fails.
      const flipped = step === 'default-flipped';
      expect(version, `crash at ${step}`).toBe(flipped && !failing ? 'v2.0.0' : 'v1.0.0');
      expect((await m.meta()).get(metaKeys.upgrade)).toBeUndefined();
    }
  });

  it('should always end on a bootable version under random upgrades, failures, rollbacks and crashes', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upgrade' as const),
        fails: fc.boolean(),
        crashAt: fc.option(fc.constantFrom(...upgradeSteps)),
      }),
      fc.record({ kind: fc.constant('rollback' as const) }),
      fc.record({ kind: fc.constant('reboot' as const) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 8 }), async (ops) => {
        const dir = join(stateDir, `run-${run++}`);
        const m = await machine(dir);
        await m.boot.writeSlot('A', { version: 'v1.0.0', image: JSON.stringify(image('v1.0.0')) });
        await m.powerOn();
        let good = new Set(['v1.0.0']);
        let n = 0;
        for (const o of ops) {
          const meta = await m.meta();
          if (o.kind === 'upgrade') {
            const version = `v1.${++n}.0`;
            if (!o.fails) good = new Set([...good, version]);
            await installUpgrade(m.boot, meta, m.booted(), image(version, o.fails), (s) => {
              if (s === o.crashAt) throw new Crash(s);
            }).catch((e) => {
              if (!(e instanceof Crash) && !(e instanceof UpgradeRefusedError)) throw e;
            });
          } else if (o.kind === 'rollback') {
            await rollback(m.boot, meta, m.booted()).catch((e) => {
              if (!(e instanceof UpgradeRefusedError)) throw e;
            });
          }
          const running = await m.powerOn();
          expect(good.has(running.version)).toBe(true);
          expect((await m.meta()).get(metaKeys.upgrade)).toBeUndefined();
          // The slot it does not run from never held the only good copy of what it runs.
          expect((await m.boot.state()).versions[m.booted()]).toBe(running.version);
        }
      }),
      { numRuns: 40, seed: Number(process.env.FC_SEED ?? 1), verbose: true },
    );
  });
});
