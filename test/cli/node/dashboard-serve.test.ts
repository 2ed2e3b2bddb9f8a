import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { createNodeClient, type NodeClient } from '../../../src/cli/node/node-client.js';
import {
  createLocalCluster,
  destroyLocalCluster,
  type LocalCluster,
} from '../../../src/node/cluster/local-cluster.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';

// Two real node processes with mutual TLS on 127.0.0.71-72, port 50271 (no other test uses them),
// and `converge dashboard --serve` on 127.0.0.73.
const port = 50_271;
let root: string;
let cluster: LocalCluster;
let dashboard: ChildProcess | undefined;
let dashboardOut = '';

const env = () => ({
  HOME: root,
  XDG_CONFIG_HOME: join(root, 'empty-config'),
  CONVERGE_CONFIG: cluster.clientConfig,
});

/** A client of a node with the cluster's admin certificate. */
async function clientOf(name: string, endpoint: string) {
  const config = parseYaml(await readFile(cluster.clientConfig, 'utf8')) as Record<string, string>;
  return createNodeClient(name, endpoint, {
    ca: await readFile(config.ca!, 'utf8'),
    cert: await readFile(config.cert!, 'utf8'),
    key: await readFile(config.key!, 'utf8'),
  });
}

/** Waits until the node's stage is `stage` (it is a fresh process). */
async function nodeAt(client: NodeClient, stage: string): Promise<void> {
  await vi.waitFor(
    async () => expect((await client.json<{ stage: string }>('GET', '/v1/node/info')).stage).toBe(stage),
    { timeout: 60_000, interval: 200 },
  );
}

/** Applies the node's own config with an extra address on eth0. */
async function addAddress(node: string, address: string): Promise<void> {
  const config = parseYaml(await readFile(join(cluster.dir, 'nodes', node, 'machine.yaml'), 'utf8')) as {
    machine: { network: { interfaces: { addresses: string[] }[] } };
  };
  config.machine.network.interfaces[0]!.addresses.push(address);
  const file = join(root, `${node}-${address.replace(/\W/g, '_')}.yaml`);
  await writeFile(file, toYaml(config));
  const applied = await runCli(['apply-config', '-f', file, '-n', node], env());
  expect(applied, applied.stderr).toMatchObject({ code: 0 });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-dashboard-serve-'));
  cluster = await createLocalCluster({
    dir: join(root, 'cluster'),
    controlPlanes: 1,
    workers: 1,
    port,
    firstAddress: 71,
    etcdPorts: { client: 23_719, peer: 23_720 },
  });
  const clients = await Promise.all(cluster.nodes.map((n) => clientOf(n.name, n.endpoint)));
  try {
    // The control plane boots once its etcd is bootstrapped (a real etcd member).
    await nodeAt(clients[0]!, 'booting');
    await clients[0]!.json('POST', '/v1/node/bootstrap', {});
    await Promise.all(clients.map((c) => nodeAt(c, 'running')));
  } finally {
    for (const c of clients) c.close();
  }
}, 120_000);

afterAll(async () => {
  if (dashboard !== undefined && dashboard.exitCode === null) dashboard.kill('SIGKILL');
  try {
    if (cluster !== undefined) await destroyLocalCluster(cluster.dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}, 60_000);

describe('converge dashboard --serve', () => {
  it('should refuse to listen beyond loopback', async () => {
    const refused = await runCli(['dashboard', '--serve', '--listen', '0.0.0.0:0'], env());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--listen must be a loopback address');
  });

  it('should show every node on one page, live, and a stopped node as unreachable (headless Chromium)', async () => {
    dashboard = spawnCli(['dashboard', '--serve', '--listen', '127.0.0.73:0'], env());
    dashboard.stdout!.on('data', (d: Buffer) => {
      dashboardOut += d.toString('utf8');
    });
    await expect.poll(() => dashboardOut, { timeout: 30_000 }).toMatch(/\n/);
    const match =
      /^dashboard of 2 node\(s\) \(cp-1, worker-1\) on (http:\/\/127\.0\.0\.73:\d+\/) \(Ctrl-C stops it\)\n$/.exec(
        dashboardOut,
      );
    expect(match, dashboardOut).not.toBeNull();
    const url = match![1]!;

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(url);
      const cp = page.locator('[data-node="cp-1"]');
      const worker = page.locator('[data-node="worker-1"]');
      await expect
        .poll(() => page.locator('#summary').textContent(), { timeout: 30_000 })
        .toBe('2 nodes, 2 ready');
      for (const card of [cp, worker]) {
        await expect.poll(() => card.locator('[data-testid=stage]').textContent()).toBe('running');
        await expect.poll(() => card.locator('[data-testid=events]').textContent()).toMatch(/sequence boot/);
      }
      // cp-1 runs a real etcd member (bootstrapped above); the worker runs none, only its kubelet.
      await expect.poll(() => cp.locator('[data-service=etcd]').textContent()).toBe('etcdrunninghealthy');
      await expect.poll(() => cp.locator('[data-testid=members] tr').count()).toBe(1);
      await expect
        .poll(() => worker.locator('[data-service=kubelet]').textContent())
        .toBe('kubeletrunninghealthy');
      expect(await worker.locator('[data-service=etcd]').count()).toBe(0);
      await expect.poll(() => cp.locator('[data-testid=hostname]').textContent()).toBe('cp-1');
      await expect.poll(() => worker.locator('[data-testid=hostname]').textContent()).toBe('worker-1');
      await page.locator('#graph-image img').waitFor();
      await page.locator('#graph-node').selectOption({ label: 'worker-1' });
      await expect
        .poll(() => page.locator('#graph-image img').getAttribute('alt'))
        .toBe('controller dependency graph of worker-1');

      // A resource changes on one node: its card follows without a reload.
      await addAddress('cp-1', '10.9.9.71/24');
      await expect
        .poll(() => cp.locator('[data-testid=addresses]').textContent(), { timeout: 20_000 })
        .toContain('10.9.9.71/24');

      // cp-1 stops: its card turns unreachable, worker-1's stays live.
      process.kill(cluster.nodes[0]!.pid, 'SIGTERM');
      await expect.poll(() => cp.getAttribute('class'), { timeout: 30_000 }).toBe('node unreachable');
      await expect
        .poll(() => cp.locator('[data-testid=reach]').textContent())
        .toMatch(/^unreachable: .*cp-1/);
      await expect.poll(() => page.locator('#summary').textContent()).toBe('2 nodes, 1 ready, 1 unreachable');
      await addAddress('worker-1', '10.9.9.72/24');
      await expect
        .poll(() => worker.locator('[data-testid=addresses]').textContent(), { timeout: 20_000 })
        .toContain('10.9.9.72/24');
      expect(await worker.getAttribute('class')).toBe('node');
      expect(await worker.locator('[data-testid=reach]').textContent()).toBe('');

      await mkdir(join(process.cwd(), 'test-results'), { recursive: true });
      const shot = join(process.cwd(), 'test-results', 'dashboard-cluster.png');
      await page.screenshot({ path: shot, fullPage: true });
      process.stdout.write(`cluster dashboard screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }

    // SIGTERM stops it cleanly, with a one-line summary.
    const exited = new Promise<number | null>((resolve) => dashboard!.once('exit', resolve));
    dashboard.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(dashboardOut).toMatch(
      /\ndashboard stopped after [\d.]+ s: \d+ request\(s\) answered, 0 refused, \d+ failed; unreachable at the end: cp-1\n$/,
    );
  }, 180_000);
});
