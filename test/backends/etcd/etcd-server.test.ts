import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { etcdInstallCommand, startEtcdServer } from '../../../src/testing/index.js';

describe('startEtcdServer', () => {
  it('should fail with the install command when etcd is missing', async () => {
    await expect(startEtcdServer({ binary: '/nonexistent/etcd' })).rejects.toThrow(
      'install it with: apt-get install -y etcd-server',
    );
    expect(etcdInstallCommand).toBe('apt-get install -y etcd-server');
  });

  it('should run etcd on loopback ports chosen at run time, keep its data across a crash, and clean up', async () => {
    const a = await startEtcdServer();
    const b = await startEtcdServer();
    try {
      expect(a.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(a.clientPort).not.toBe(b.clientPort);
      expect(a.dataDir).not.toBe(b.dataDir);
      const client = new Etcd3({ hosts: a.endpoint });
      try {
        await client.put('k').value('v');
        await a.restart();
        expect(a.running).toBe(true);
        expect(await client.get('k').string()).toBe('v');
        await a.stop();
        expect(a.running).toBe(false);
        await a.start();
        expect(await client.get('k').string()).toBe('v');
      } finally {
        client.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
    expect(existsSync(a.dataDir)).toBe(false);
    expect(a.running).toBe(false);
  });
});
