import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm start` as a user runs it: the node demo, end to end, with real node processes and a real
// three-member etcd. Its own addresses and ports (127.0.0.21-23, 50251; 127.0.0.24-26, 50252 for the
// interrupted run), distinct from every other test file's.
const root = join(import.meta.dirname, '..', '..');
let parent: string;

/** The pids of processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((a) => a.includes(text))) pids.push(Number(entry));
  }
  return pids;
}

/** `npm start -- <args>`, its output collected; `onOutput` sees stdout as it comes. */
function npmStart(
  args: readonly string[],
  onOutput: (stdout: string, child: ChildProcess) => void = () => {},
) {
  const child = spawn('npm', ['start', '--silent', '--', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: parent },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal's foreground job: Ctrl-C signals npm and the demo alike.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    onOutput(stdout, child);
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
}

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'converge-demo-test-'));
});

afterAll(async () => {
  // A failed run may leave node processes: they mention the folder on their command line.
  for (const pid of await processesMentioning(parent)) process.kill(pid, 'SIGKILL');
  await rm(parent, { recursive: true, force: true });
});

describe('npm start: the node demo', () => {
  it('should create a cluster, upgrade it node by node, show a broken version revert, and leave nothing', async () => {
    const dir = join(parent, 'full');
    const run = await npmStart(['--dir', dir, '--port', '50251', '--first-address', '21']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const out = run.stdout;
    process.stdout.write(`--- npm start ---\n${out}`);
    expect(out).toMatch(/cluster converge-demo: 3 control plane\(s\), 0 worker\(s\) up in [\d.]+ s/);
    for (const node of ['cp-1', 'cp-2', 'cp-3']) expect(out).toContain(`${node} [3/3] etcd member healthy`);
    expect(out.match(/^healthy: 3 node\(s\) passed every check$/gm)).toHaveLength(2);
    expect(out).toMatch(
      /^upgrade to v1\.1\.0: cp-1: v1\.1\.0, cp-2: v1\.1\.0, cp-3: v1\.1\.0 \([\d.]+ s\)$/m,
    );
    // One node at a time: each upgraded node is healthy before the next one starts.
    const order = [
      'cp-1 [4/4] healthy',
      'cp-2 [0/4] upgrading',
      'cp-2 [4/4] healthy',
      'cp-3 [0/4] upgrading',
    ];
    const at = order.map((line) => out.indexOf(line));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    // The broken version fails its boot and the node goes back to the version it ran.
    expect(out).toContain('cp-3 sequence boot: stop (fatal: task checkImage: image v1.2.0 fails to boot)');
    expect(out).toContain('as expected: cp-3 did not boot v1.2.0: it reverted to v1.1.0 by itself');
    const finalTable = out.slice(out.lastIndexOf('== what runs where now'));
    for (const node of ['cp-1', 'cp-2', 'cp-3']) {
      expect(finalTable).toMatch(new RegExp(`^${node} +v1\\.1\\.0 +B +controlplane +running +yes$`, 'm'));
    }
    expect(out).toContain('cluster destroyed: 3 node process(es) stopped');
    expect(out).toMatch(/^summary$/m);
    expect(out).toMatch(/^ {2}total +[\d.]+ s$/m);
    expect(await processesMentioning(dir)).toEqual([]);
    expect(existsSync(join(dir, 'cluster'))).toBe(false);
  }, 300_000);

  it('should destroy the cluster when interrupted', async () => {
    const dir = join(parent, 'interrupted');
    let sent = false;
    const run = await npmStart(
      ['--dir', dir, '--port', '50252', '--first-address', '24'],
      (stdout, child) => {
        // Once the cluster is up: the node processes run in their own process groups.
        if (!sent && stdout.includes('== wait until every node passes its health checks')) {
          sent = true;
          process.kill(-child.pid!, 'SIGINT');
        }
      },
    );
    expect(sent, run.stdout).toBe(true);
    // npm dies of the signal, as a foreground job in a shell does; the demo cleans up and says so.
    expect([run.code, run.signal], `${run.stdout}\n${run.stderr}`).toEqual([null, 'SIGINT']);
    expect(run.stderr).toContain('interrupted by SIGINT');
    expect(run.stdout).toContain('cluster destroyed: 3 node process(es) stopped');
    expect(await processesMentioning(dir)).toEqual([]);
    expect(existsSync(join(dir, 'cluster'))).toBe(false);
  }, 300_000);
});
