import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWriteSteps } from '../../../src/platform/disk/atomic-file.js';
import { createFileDisk } from '../../../src/platform/disk/file-disk.js';
import { isPlatformError } from '../../../src/platform/errors.js';

const run = promisify(execFile);
const text = (data: Uint8Array | undefined) =>
  data === undefined ? undefined : Buffer.from(data).toString('utf8');

describe('createFileDisk', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cvg-disk-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('should write, read, list, remove and wipe files of a partition', async () => {
    const disk = createFileDisk({ stateDir });
    expect(await disk.read('STATE', 'config.yaml')).toBeUndefined();
    await disk.write('STATE', 'config.yaml', 'a: 1\n');
    await disk.write('STATE', 'other', new Uint8Array([1, 2]));
    expect(text(await disk.read('STATE', 'config.yaml'))).toBe('a: 1\n');
    expect(await disk.list('STATE')).toEqual(['config.yaml', 'other']);
    expect(await disk.list('EPHEMERAL')).toEqual([]);
    await disk.remove('STATE', 'other');
    await disk.remove('STATE', 'never-there');
    expect(await disk.list('STATE')).toEqual(['config.yaml']);
    await disk.wipe('STATE');
    expect(await disk.list('STATE')).toEqual([]);
    expect(disk.path('EPHEMERAL')).toBe(join(stateDir, 'EPHEMERAL'));
  });

  it('should refuse names that are not plain file names', async () => {
    const disk = createFileDisk({ stateDir });
    for (const name of ['../escape', 'a/b', '.hidden', '', 'x'.repeat(200)]) {
      await expect(disk.write('STATE', name, 'x')).rejects.toSatisfy((e) => isPlatformError(e, 'EINVAL'));
    }
    expect(await readdir(stateDir)).toEqual([]);
  });

  it('should keep the old content and leave no temp file when a write fails at any step', async () => {
    const disk = createFileDisk({ stateDir });
    await disk.write('STATE', 'config.yaml', 'old');
    // A failure before the rename keeps the old file; from the rename on, the new one is in place.
    for (const [i, step] of atomicWriteSteps.entries()) {
      disk.faults.onWriteStep((s) => {
        if (s === step) throw new Error(`failed at ${s}`);
      });
      await expect(disk.write('STATE', 'config.yaml', `new-${i}`)).rejects.toThrow(`failed at ${step}`);
      disk.faults.onWriteStep(undefined);
      const now = text(await disk.read('STATE', 'config.yaml'));
      expect(now === 'old' || now === `new-${i}`).toBe(true);
      if (step === 'temp-written' || step === 'temp-synced') expect(now).toBe('old');
      await disk.write('STATE', 'config.yaml', 'old');
      expect(await readdir(join(stateDir, 'STATE'))).toEqual(['config.yaml']);
    }
  });

  it('should refuse a write with injected ENOSPC and change nothing', async () => {
    const disk = createFileDisk({ stateDir });
    await disk.write('META', 'meta.json', '{}');
    disk.faults.failWrites(2);
    for (let i = 0; i < 2; i++) {
      await expect(disk.write('META', 'meta.json', '{"a":"b"}')).rejects.toSatisfy((e) =>
        isPlatformError(e, 'ENOSPC'),
      );
    }
    expect(text(await disk.read('META', 'meta.json'))).toBe('{}');
    await disk.write('META', 'meta.json', '{"a":"b"}');
    expect(text(await disk.read('META', 'meta.json'))).toBe('{"a":"b"}');
  });

  it('should leave either the whole old or the whole new file when the process is killed at any step', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'crash-writer-process.ts');
    for (const step of atomicWriteSteps) {
      const disk = createFileDisk({ stateDir });
      await disk.write('STATE', 'config.yaml', 'old config');
      const killed = await run(process.execPath, [
        '--import',
        'tsx',
        fixture,
        stateDir,
        step,
        'new config',
      ]).then(
        () => false,
        (error: { signal?: string }) => error.signal === 'SIGKILL',
      );
      expect(killed, `the writer should have been killed at ${step}`).toBe(true);
      // A fresh disk, as the node after its restart: stale temp files are cleared on first use.
      const after = createFileDisk({ stateDir });
      const content = text(await after.read('STATE', 'config.yaml'));
      expect(['old config', 'new config']).toContain(content);
      if (step === 'temp-written' || step === 'temp-synced') expect(content).toBe('old config');
      else expect(content).toBe('new config');
      expect(await readdir(join(stateDir, 'STATE'))).toEqual(['config.yaml']);
    }
  });
});
