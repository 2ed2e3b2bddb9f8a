import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalCluster } from '../../../src/node/cluster/local-cluster.js';
import { assertEtcdInstalled } from '../../../src/node/cluster/preflight.js';

// Refusals happen before anything starts: no node process is spawned by these tests. Addresses
// 127.0.0.91-93 and port 50261 are this file's own.
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-local-cluster-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

describe('a local cluster refused before it starts', () => {
  it('should name every address and port already taken, and create nothing', async () => {
    const api = await listen('127.0.0.92', 50_261);
    const etcd = await listen('127.0.0.91', 2_379);
    try {
      const dir = join(root, 'c');
      await expect(
        createLocalCluster({ dir, controlPlanes: 1, workers: 2, port: 50_261, firstAddress: 91 }),
      ).rejects.toThrow(
        'cannot listen on 127.0.0.91:2379 (etcd client: EADDRINUSE), 127.0.0.92:50261 (node API: EADDRINUSE)',
      );
      expect(existsSync(dir)).toBe(false);
    } finally {
      api.close();
      etcd.close();
    }
  });

  it('should refuse a folder that is not empty, leaving its files alone', async () => {
    const dir = join(root, 'mine');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    await expect(
      createLocalCluster({ dir, controlPlanes: 1, workers: 0, port: 50_261, firstAddress: 91 }),
    ).rejects.toThrow('is not empty');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('should refuse shapes that cannot be', async () => {
    const dir = join(root, 'c');
    await expect(createLocalCluster({ dir, controlPlanes: 0, workers: 1 })).rejects.toThrow(
      'at least one control plane',
    );
    await expect(
      createLocalCluster({ dir, controlPlanes: 1, workers: 0, firstAddress: 255 }),
    ).rejects.toThrow('127.0.0.2-254');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('the etcd a local cluster needs', () => {
  it('should name the package to install when etcd is not on PATH', async () => {
    await expect(assertEtcdInstalled(root)).rejects.toThrow('sudo apt-get install -y etcd-server');
    await expect(assertEtcdInstalled(process.env.PATH)).resolves.toBeUndefined();
  });
});
