import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileDisk } from '../../../src/platform/disk/file-disk.js';
import { metaKeys, openMetaStore } from '../../../src/platform/disk/meta-store.js';
import { isPlatformError } from '../../../src/platform/errors.js';

describe('openMetaStore', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cvg-meta-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('should keep keys across a reopen, as META survives a reboot', async () => {
    const meta = await openMetaStore(createFileDisk({ stateDir }));
    expect(meta.get(metaKeys.upgrade)).toBeUndefined();
    await meta.set(metaKeys.upgrade, 'A');
    await meta.set(metaKeys.stagedUpgradeImageRef, 'v2');
    await meta.delete(metaKeys.stagedUpgradeImageRef);
    const reopened = await openMetaStore(createFileDisk({ stateDir }));
    expect(reopened.entries()).toEqual([['Upgrade', 'A']]);
  });

  it('should change nothing, in memory or on disk, when the write fails', async () => {
    const disk = createFileDisk({ stateDir });
    const meta = await openMetaStore(disk);
    await meta.set(metaKeys.upgrade, 'A');
    disk.faults.failWrites(1);
    await expect(meta.delete(metaKeys.upgrade)).rejects.toSatisfy((e) => isPlatformError(e, 'ENOSPC'));
    expect(meta.get(metaKeys.upgrade)).toBe('A');
    expect((await openMetaStore(createFileDisk({ stateDir }))).get(metaKeys.upgrade)).toBe('A');
    await meta.delete(metaKeys.upgrade);
    expect(meta.get(metaKeys.upgrade)).toBeUndefined();
  });

  it('should apply concurrent changes one after another, none lost', async () => {
    const meta = await openMetaStore(createFileDisk({ stateDir }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => meta.set(`Key${i}`, String(i))));
    const reopened = await openMetaStore(createFileDisk({ stateDir }));
    expect(reopened.entries()).toHaveLength(20);
  });

  it('should refuse a corrupt META file and malformed keys with a clear error', async () => {
    await mkdir(join(stateDir, 'META'));
    await writeFile(join(stateDir, 'META', 'meta.json'), '{"Upgrade": 1}');
    await expect(openMetaStore(createFileDisk({ stateDir }))).rejects.toThrow(
      /value of Upgrade is not a string/,
    );
    await writeFile(join(stateDir, 'META', 'meta.json'), 'not json');
    await expect(openMetaStore(createFileDisk({ stateDir }))).rejects.toThrow(/not valid JSON/);
    await rm(join(stateDir, 'META', 'meta.json'));
    const meta = await openMetaStore(createFileDisk({ stateDir }));
    expect(() => meta.set('../x', 'y')).toThrow(/invalid key/);
  });
});
