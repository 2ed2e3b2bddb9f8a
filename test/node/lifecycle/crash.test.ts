import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createDiskBoot,
  type LifecycleOperation,
  MachineConfigs,
  MachineStatuses,
  metaKeys,
  openMetaStore,
  parseMachineConfig,
} from '../../../src/node/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { cleanup, makeNode, settleOn, type TestNode } from './lifecycle-helpers.js';

type Scenario = 'apply' | 'upgrade' | 'upgrade-failing' | 'rollback' | 'reset';

/** Where the node must be after a crash at a step and a restart. */
type Outcome = { version: string } | { address: string } | 'maintenance';

/** Every step of every operation, with what the restarted node must show. */
const cases: readonly [Scenario, LifecycleOperation, string, Outcome][] = [
  ['apply', 'applyConfig', 'history-written', { address: '10.0.0.50/24' }],
  ['apply', 'applyConfig', 'state-written', { address: '10.0.0.60/24' }],
  ['apply', 'applyConfig', 'active-set', { address: '10.0.0.60/24' }],
  ['upgrade', 'upgrade', 'slot-written', { version: 'v1.0.0' }],
  ['upgrade', 'upgrade', 'marker-written', { version: 'v1.0.0' }],
  ['upgrade', 'upgrade', 'default-flipped', { version: 'v1.1.0' }],
  ['upgrade', 'upgrade', 'services-stopped', { version: 'v1.1.0' }],
  ['upgrade', 'boot', 'upgrade-committed', { version: 'v1.1.0' }],
  ['upgrade-failing', 'upgrade', 'default-flipped', { version: 'v1.0.0' }],
  ['upgrade-failing', 'boot', 'default-reverted', { version: 'v1.0.0' }],
  ['upgrade-failing', 'boot', 'marker-deleted', { version: 'v1.0.0' }],
  // The rollback marks the running slot first, so a crash before the flip just boots it again.
  ['rollback', 'rollback', 'marker-written', { version: 'v1.1.0' }],
  ['rollback', 'rollback', 'default-flipped', { version: 'v1.0.0' }],
  ['rollback', 'rollback', 'services-stopped', { version: 'v1.0.0' }],
  ['rollback', 'boot', 'upgrade-committed', { version: 'v1.0.0' }],
  // Before the reset marker the node comes back whole; from it on, the reset is finished.
  ['reset', 'reset', 'cordoned', { address: '10.0.0.50/24' }],
  ['reset', 'reset', 'etcd-left', { address: '10.0.0.50/24' }],
  ['reset', 'reset', 'services-stopped', { address: '10.0.0.50/24' }],
  ['reset', 'reset', 'reset-marked', 'maintenance'],
  ['reset', 'reset', 'ephemeral-wiped', 'maintenance'],
  ['reset', 'reset', 'state-wiped', 'maintenance'],
  ['reset', 'reset', 'reset-finished', 'maintenance'],
];

let bundle: string;
beforeAll(async () => {
  // One bundle, so each child starts in a fraction of a second instead of compiling TypeScript.
  const out = join(import.meta.dirname, '../../../node_modules/.cache/converge-tests');
  await mkdir(out, { recursive: true });
  bundle = join(out, 'lifecycle-process.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/lifecycle-process.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: bundle,
    logLevel: 'error',
  });
});

/** Runs the node process until it kills itself at the step; answers how it ended and its stderr. */
function crashAt(dir: string, scenario: Scenario, operation: LifecycleOperation, step: string) {
  const child = spawn(process.execPath, [bundle, JSON.stringify({ dir, scenario, operation, step })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += String(d);
  });
  child.stderr.on('data', (d) => {
    output += String(d);
  });
  return new Promise<{ signal: NodeJS.Signals | null; output: string }>((resolve) => {
    child.once('exit', (_code, signal) => resolve({ signal, output }));
  });
}

async function partitionsHoldNoTemp(dir: string): Promise<void> {
  for (const partition of ['STATE', 'META', 'BOOT', 'EPHEMERAL']) {
    const names = await readdir(join(dir, partition)).catch(() => []);
    expect(
      names.filter((n) => n.endsWith('.tmp')),
      `${partition} after restart`,
    ).toEqual([]);
  }
}

/** The restarted node: slot, META, config and history agree, and the operation finished or was undone. */
async function checkConsistent(t: TestNode, outcome: Outcome): Promise<void> {
  const { node } = t;
  const meta = await openMetaStore(node.disk);
  expect(meta.get(metaKeys.upgrade), 'no upgrade left uncommitted').toBeUndefined();
  expect(meta.entries().map(([k]) => k)).toEqual([]);
  const loader = await createDiskBoot(node.disk).state();
  expect(node.version().slot).toBe(loader.defaultSlot);
  expect(loader.versions[node.version().slot]).toBe(node.version().image.version);
  const stored = await node.disk.read('STATE', 'config.yaml');
  const history = await node.configHistory();
  const status = await node.state.get(MachineStatuses.pointer('machine'));
  if (outcome === 'maintenance') {
    expect(stored).toBeUndefined();
    expect(history).toEqual([]);
    expect(await node.disk.list('EPHEMERAL')).toEqual([]);
    expect(status.spec.stage).toBe('maintenance');
    return;
  }
  const text = Buffer.from(stored!).toString();
  expect(history.at(-1)?.config).toBe(text);
  expect(history.map((e) => e.version)).toEqual(history.map((_, i) => i + 1));
  const expected = parseMachineConfig(text);
  for (const id of ['v1alpha1', 'persistent']) {
    expect((await node.state.get(MachineConfigs.pointer(id))).spec).toEqual(expected);
  }
  expect(status.spec).toMatchObject({ stage: 'running', status: { ready: true } });
  if ('version' in outcome) expect(node.version().image.version).toBe(outcome.version);
  else expect(expected.machine.network.interfaces[0]?.addresses).toEqual([outcome.address]);
}

/** Crashes the node at one step, restarts it on the same disk and checks it. */
async function crashAndRestart([scenario, operation, step, outcome]: (typeof cases)[number]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cvg-crash-'));
  let t: TestNode | undefined;
  try {
    const crashed = await crashAt(dir, scenario, operation, step);
    expect(crashed.signal, `did not crash\n${crashed.output}`).toBe('SIGKILL');
    t = await makeNode({ bootTimeoutMs: 60_000, rebootDelayMs: 1_000 }, { dir, clock: createVirtualClock() });
    await t.node.start();
    if (outcome === 'maintenance') await settleOn(t, Promise.resolve(), 'settle');
    else await settleOn(t, t.node.booted(), 'boot after the crash');
    await partitionsHoldNoTemp(dir);
    await checkConsistent(t, outcome);
  } catch (error) {
    throw new Error(`after a crash at ${scenario} ${operation}:${step}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await cleanup(t);
    await rm(dir, { recursive: true, force: true });
  }
}

describe('crash consistency', () => {
  it('should come back consistent after a SIGKILL at every step of apply-config, upgrade, rollback and reset', async () => {
    // A few at a time: the children mostly wait on their disks and timers.
    const queue = [...cases];
    const failures: string[] = [];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        await crashAndRestart(next).catch((error: unknown) => failures.push((error as Error).message));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(failures).toEqual([]);
  }, 180_000);
});
