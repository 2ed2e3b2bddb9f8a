import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiskBoot } from '../../../src/platform/boot/disk-boot.js';
import { otherSlot } from '../../../src/platform/boot.js';
import { createFileDisk } from '../../../src/platform/disk/file-disk.js';
import { isPlatformError } from '../../../src/platform/errors.js';

describe('createDiskBoot', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cvg-boot-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('should boot A with no slot written on a fresh disk', async () => {
    const boot = createDiskBoot(createFileDisk({ stateDir }));
    expect(await boot.state()).toEqual({ defaultSlot: 'A', versions: {} });
    expect(otherSlot('A')).toBe('B');
  });

  it('should write a slot and flip the default, durably across a reopen', async () => {
    const boot = createDiskBoot(createFileDisk({ stateDir }));
    await boot.writeSlot('A', { version: 'v1', image: '{"v":1}' });
    await boot.writeSlot('B', { version: 'v2', image: '{"v":2}' });
    await boot.setDefault('B');
    const again = createDiskBoot(createFileDisk({ stateDir }));
    expect(await again.state()).toEqual({ defaultSlot: 'B', versions: { A: 'v1', B: 'v2' } });
    expect(await again.readSlot('A')).toEqual({ version: 'v1', image: '{"v":1}' });
  });

  it('should refuse to default to an empty slot and keep the default', async () => {
    const boot = createDiskBoot(createFileDisk({ stateDir }));
    await boot.writeSlot('A', { version: 'v1', image: '{}' });
    await boot.setDefault('A');
    await expect(boot.setDefault('B')).rejects.toSatisfy((e) => isPlatformError(e, 'ENOENT'));
    expect((await boot.state()).defaultSlot).toBe('A');
  });

  it('should leave the old slot and default in place when writing the new slot fails', async () => {
    const disk = createFileDisk({ stateDir });
    const boot = createDiskBoot(disk);
    await boot.writeSlot('A', { version: 'v1', image: '{}' });
    await boot.setDefault('A');
    disk.faults.failWrites(1);
    await expect(boot.writeSlot('B', { version: 'v2', image: '{}' })).rejects.toSatisfy((e) =>
      isPlatformError(e, 'ENOSPC'),
    );
    expect(await boot.state()).toEqual({ defaultSlot: 'A', versions: { A: 'v1' } });
  });
});
