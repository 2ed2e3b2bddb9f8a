import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

// One real cluster for the whole file: node processes with mutual TLS on 127.0.0.11-13, port 50231
// (distinct from every other test file's ports).
const port = 50_231;
let root: string;
let dir: string;

const env = (extra: Record<string, string> = {}) => ({
  HOME: root,
  XDG_CONFIG_HOME: join(root, 'empty-config'),
  CONVERGE_CONFIG: join(dir, 'config.yaml'),
  ...extra,
});

/** The command lines (arguments) of processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<string[][]> {
  const found: string[][] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (args.some((a) => a.includes(text))) found.push(args);
  }
  return found;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'converge-cluster-'));
  dir = join(root, 'cluster');
  const created = await runCli(
    ['cluster', 'create', '--control-planes', '2', '--workers', '1', '--dir', dir, '--port', String(port)],
    { HOME: root },
  );
  if (created.code !== 0) throw new Error(`cluster create failed: ${created.stdout}${created.stderr}`);
  expect(created.stdout).toMatch(/cluster converge: 2 control plane\(s\), 1 worker\(s\) up in [\d.]+ s/);
}, 120_000);

afterAll(async () => {
  try {
    if (existsSync(join(dir, 'cluster.yaml')))
      await runCli(['cluster', 'destroy', '--dir', dir], { HOME: root });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}, 60_000);

describe('converge against a local cluster of node processes', () => {
  it('should reach every node through the client config and prefix each line with the node', async () => {
    const health = await runCli(['health', '--wait-timeout', '30', '-n', 'cp-1,worker-1'], env());
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/healthy: 2 node\(s\) passed every check\n$/);
    const lines = health.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('cp-1 ')).length).toBeGreaterThan(3);
    expect(lines.filter((l) => l.startsWith('worker-1 ')).length).toBeGreaterThan(3);
    expect(health.stdout).toContain('cp-1 waiting for apid to be ready: OK');
    expect(health.stdout).toContain(
      'worker-1 waiting for etcd to be healthy: SKIP (not a control plane node)',
    );
    // The checks run in talosctl's order: network before boot.
    const cp = lines.filter((l) => l.startsWith('cp-1 '));
    expect(cp.findIndex((l) => l.includes('network to be ready'))).toBeLessThan(
      cp.findIndex((l) => l.includes('boot sequence to finish')),
    );

    const types = await runCli(
      ['get', 'MachineTypes.config.talos.dev', 'machine-type', '-o', 'jsonpath={.spec.machineType}'],
      {
        ...env(),
        CONVERGE_ENDPOINT: `https://127.0.0.13:${port}`,
      },
    );
    expect(types).toMatchObject({ code: 0, stdout: 'worker' });

    const statuses = await runCli(['get', 'ms', '--nodes', 'cp-1,worker-1'], env());
    expect(statuses.code).toBe(0);
    expect(statuses.stdout).toMatch(/^cp-1 +NAMESPACE +TYPE +ID/m);
    expect(statuses.stdout).toMatch(
      /^worker-1 {3}runtime +MachineStatus +machine +\d+ +running +running +true$/m,
    );

    const graph = await runCli(['inspect', 'dependencies', '-o', 'json', '-n', '127.0.0.12'], env());
    expect(graph.code).toBe(0);
    const parsed = JSON.parse(graph.stdout) as { controllers: string[] };
    expect(parsed.controllers).toContain('runtime.MachineStatusController');

    const dashboard = await runCli(['dashboard'], env());
    expect(dashboard.stdout.trim().split('\n')).toEqual([
      `cp-1 https://127.0.0.11:${port}/dashboard/`,
      `cp-2 https://127.0.0.12:${port}/dashboard/`,
      `worker-1 https://127.0.0.13:${port}/dashboard/`,
    ]);
  }, 60_000);

  it('should refuse bad input with a clear error and change nothing', async () => {
    const bad = join(root, 'bad.yaml');
    await writeFile(bad, 'version: v1alpha1\nmachine:\n  type: bogus\n');
    const refused = await runCli(['apply-config', '-f', bad, '-n', 'cp-1'], env());
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('machine.type (line 3, column 9)');

    const unknown = await runCli(['services', '-n', 'no/such'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('neither named in the config file nor an address');

    const reader = await runCli(
      ['reboot', '-n', 'worker-1'],
      env({ CONVERGE_CERT: join(dir, 'reader.crt'), CONVERGE_KEY: join(dir, 'reader.key') }),
    );
    expect(reader.code).toBe(6);
    expect(reader.stderr).toContain('needs converge:operator');

    const logs = await runCli(['logs', 'nosuch', '-n', 'cp-1'], env());
    expect(logs.code).toBe(3);
  }, 60_000);

  it('should apply a config with a dry-run diff first, and reboot a node with progress and a summary', async () => {
    const next = join(root, 'next.yaml');
    await writeFile(
      next,
      'version: v1alpha1\nmachine:\n  type: worker\n  certSANs: [127.0.0.13]\n  nodeLabels:\n    zone: a\ncluster:\n  clusterName: converge\n',
    );
    const dry = await runCli(['apply-config', '-f', next, '--dry-run', '-n', 'worker-1'], env());
    expect(dry.stdout).toMatch(/^worker-1 \+ +zone: a$/m);
    expect(dry.stdout).toContain('worker-1 Dry run: mode auto, nothing applied');
    const applied = await runCli(['apply-config', '-f', next, '-n', 'worker-1'], env());
    expect(applied.stdout).toBe('worker-1 Applied configuration without a reboot (config version 2)\n');
    const history = await runCli(['config', 'history', '-n', 'worker-1'], env());
    expect(history.stdout).toMatch(/^worker-1 +2 +\S+ +auto +admin/m);

    const reboot = await runCli(['reboot', '-n', 'worker-1'], env());
    expect(reboot.code).toBe(0);
    expect(reboot.stdout).toContain('worker-1 [1/3] reboot accepted');
    expect(reboot.stdout).toMatch(/reboot: 1 node\(s\) rebooted and running \([\d.]+ s\)\n$/);
    // The config survived the reboot.
    const labels = await runCli(['get', 'mc', 'v1alpha1', '-o', 'jsonpath={.spec.machine.nodeLabels.zone}'], {
      ...env(),
      CONVERGE_ENDPOINT: `https://127.0.0.13:${port}`,
    });
    expect(labels.stdout).toBe('a');

    const upgrade = await runCli(['upgrade', '--image', 'v1.1.0', '-n', 'worker-1'], env());
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toMatch(/^upgrade to v1\.1\.0: worker-1: v1\.1\.0 \([\d.]+ s\)$/m);
    // Two etcd members: stopping either loses quorum, so the etcd guard refuses a control plane.
    const guarded = await runCli(['upgrade', '--image', 'v1.1.0', '-n', 'cp-2'], env());
    expect(guarded.code).not.toBe(0);
    expect(`${guarded.stdout}${guarded.stderr}`).toMatch(/quorum/);
  }, 90_000);

  it('should serve a dashboard that shows the node and updates live (headless Chromium)', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const origin = `https://127.0.0.12:${port}`;
      const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        clientCertificates: [{ origin, certPath: join(dir, 'admin.crt'), keyPath: join(dir, 'admin.key') }],
      });
      const page = await context.newPage();
      await page.goto(`${origin}/dashboard/`);
      const card = page.locator('[data-node="127.0.0.12"]');
      await card.waitFor();
      await expect.poll(() => page.locator('#summary').textContent()).toContain('1 node');
      await expect
        .poll(() => card.locator('[data-testid=stage]').textContent())
        .toMatch(/^(unknown|booting|running)$/);
      await page.locator('#graph-image img').waitFor();

      // A config with an extra address: the addresses line changes without a reload.
      const next = join(root, 'address.yaml');
      await writeFile(
        next,
        'version: v1alpha1\ncluster:\n  clusterName: converge\nmachine:\n  type: controlplane\n  certSANs: [127.0.0.12]\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [10.9.9.9/24]\n',
      );
      const applied = await runCli(['apply-config', '-f', next, '-n', 'cp-2'], env());
      expect(applied.code).toBe(0);
      await expect
        .poll(() => card.locator('[data-testid=addresses]').textContent(), { timeout: 20_000 })
        .toContain('10.9.9.9/24');
      const shot = join(process.cwd(), 'test-results', 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      process.stdout.write(`dashboard screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('should leave nothing behind when the cluster is destroyed', async () => {
    // Three node processes, the two control planes' etcd members (their data lives in the folder),
    // and the kubelets (their files too), nothing else.
    const running = await processesMentioning(dir);
    const named = (pattern: RegExp) => running.filter((args) => args.some((a) => pattern.test(a)));
    expect(named(/^run$/)).toHaveLength(3);
    expect(named(/(^|\/)etcd$/)).toHaveLength(2);
    expect(named(/converge-kubelet/).length).toBeGreaterThan(0);
    expect(running.length).toBe(3 + 2 + named(/converge-kubelet/).length);
    const destroyed = await runCli(['cluster', 'destroy', '--dir', dir], { HOME: root });
    expect(destroyed).toMatchObject({ code: 0 });
    expect(destroyed.stdout).toContain('3 node process(es) stopped');
    expect(await processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(await readdir(root)).not.toContain('cluster');
  }, 60_000);
});
