/**
 * The stand-in kubelet as a real process: on its own (bad files are refused with a clear error and
 * exit code 1) and under a node's supervisor with child processes (serves /healthz, restarted once
 * by a new node IP, nothing left running after the node stops).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createChildProcesses,
  createNode,
  createSimulatedPlatform,
  type MachineEvent,
  type Node,
  Services,
  standInKubeletPath,
} from '../../../src/node/index.js';
import { wallClock } from '../../../src/runtime/clock.js';
import { kubeletTestConfig } from './kubelet-node.js';

/** This file's healthz port: distinct from other test files that run processes. */
const healthzPort = 41_871;

let dir: string | undefined;
let node: Node | undefined;
afterEach(async () => {
  await node?.stop();
  node = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(standInKubeletPath, args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stderr });
    });
  });
}

function healthz(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/healthz`, { agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve(`${response.statusCode} ${body}`));
    }).once('error', reject);
  });
}

const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "https://10.0.0.10:6443"}}]
users: [{name: kubelet, user: {token: abcdef.0123456789abcdef}}]
contexts: [{name: kubelet@local, context: {cluster: local, user: kubelet}}]
current-context: kubelet@local
`;

describe('the stand-in kubelet on its own', () => {
  it('refuses a bad KubeletConfiguration and a bad kubeconfig with exit code 1 and the reason', async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-stand-in-'));
    const config = join(dir, 'kubelet.yaml');
    const bootstrap = join(dir, 'bootstrap-kubeconfig');
    await writeFile(
      config,
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nhealthzPort: nine\n',
    );
    await writeFile(bootstrap, kubeconfig);
    const flags = [
      `--config=${config}`,
      `--bootstrap-kubeconfig=${bootstrap}`,
      '--hostname-override=worker-1',
    ];
    const badConfig = await run(flags);
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/^kubelet: KubeletConfiguration .*kubelet\.yaml: healthzPort: /);

    await writeFile(config, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n');
    await writeFile(
      bootstrap,
      kubeconfig.replace('current-context: kubelet@local', 'current-context: elsewhere'),
    );
    const badKubeconfig = await run(flags);
    expect(badKubeconfig.code).toBe(1);
    expect(badKubeconfig.stderr).toContain('current-context elsewhere is not defined');
  }, 120_000);
});

describe('the stand-in kubelet under a node', () => {
  it('serves /healthz, restarts once for a new node IP, and is gone when the node stops', async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-kubelet-real-'));
    const platform = createSimulatedPlatform({
      clock: wallClock,
      seed: 1,
      links: [{ name: 'eth0' }],
      time: { synced: true },
      processes: createChildProcesses(),
    });
    const n = await createNode({ config: kubeletTestConfig({ healthzPort }), platform, stateDir: dir });
    node = n;
    const pids: number[] = [];
    n.events.events().subscribe((e: MachineEvent) => {
      const pid =
        e.type === 'service' && e.service === 'kubelet' ? /\(PID (\d+)\)/.exec(e.message)?.[1] : undefined;
      if (pid !== undefined) pids.push(Number(pid));
    });
    await n.start();
    const started = () => n.supervisor.logs('kubelet').filter((l) => l.line.includes('stand-in) running'));
    const healthy = async () =>
      (await n.state.list(Services.kind())).find((s) => s.metadata.id === 'kubelet')?.spec.healthy;

    await vi.waitFor(async () => expect(await healthy()).toBe(true), { timeout: 60_000, interval: 100 });
    expect(await healthz(healthzPort)).toBe('200 ok');
    expect(started().map((l) => l.line)).toEqual([expect.stringContaining('node IP 10.0.0.50')]);

    await n.applyConfig(kubeletTestConfig({ healthzPort, addresses: ['10.0.0.60/24'] }));
    await vi.waitFor(() => expect(started()).toHaveLength(2), { timeout: 60_000, interval: 100 });
    await vi.waitFor(async () => expect(await healthy()).toBe(true), { timeout: 60_000, interval: 100 });
    expect(started()[1]?.line).toContain('node IP 10.0.0.60');
    expect(await healthz(healthzPort)).toBe('200 ok');
    expect(pids).toHaveLength(2);
    expect(alive(pids[0]!)).toBe(false);

    node = undefined;
    await n.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(started()).toHaveLength(2);
  }, 120_000);

  it('shows why the kubelet refuses its configuration', async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-kubelet-bad-'));
    const platform = createSimulatedPlatform({
      clock: wallClock,
      seed: 1,
      links: [{ name: 'eth0' }],
      time: { synced: true },
      processes: createChildProcesses(),
    });
    const config = kubeletTestConfig({ healthzPort });
    node = await createNode({
      config: {
        ...config,
        machine: { ...config.machine, kubelet: { extraConfig: { healthzPort: 'nine' } } },
      },
      platform,
      stateDir: dir,
    });
    await node.start();
    await vi.waitFor(
      () =>
        expect(node!.supervisor.status('kubelet').message).toContain('Error running kubelet: exit code 1'),
      { timeout: 60_000, interval: 100 },
    );
    expect(node.supervisor.logs('kubelet').map((l) => l.line)).toContainEqual(
      expect.stringMatching(/^kubelet: KubeletConfiguration .*: healthzPort: /),
    );
  }, 120_000);
});
