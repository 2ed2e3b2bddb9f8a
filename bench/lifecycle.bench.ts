/**
 * `npm run bench -- lifecycle`: the node's lifecycle on the simulated platform, real files.
 *
 * - an upgrade of one node from the request to the commit (the new version running and ready,
 *   the `Upgrade` marker deleted), in virtual and wall time;
 * - the revert of an upgrade whose services never come up (boot timeout 60 s virtual), from the
 *   request to the old version running again;
 * - apply-config (no-reboot) from the request to the kernel holding the new address.
 *
 * Baselines, measured in interleaved pairs in the same run: for the upgrade, the same slot, META
 * and loader writes made directly on the disk (the I/O floor); for apply-config, the STATE write
 * and the kernel call made directly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createNode, createSimulatedPlatform, type Node, parseNodeImage } from '../src/node/index.js';
import { commitUpgrade, installUpgrade } from '../src/node/lifecycle/upgrade.js';
import { createDiskBoot } from '../src/platform/boot/disk-boot.js';
import { createFileDisk } from '../src/platform/disk/file-disk.js';
import { openMetaStore } from '../src/platform/disk/meta-store.js';
import { createVirtualClock, type VirtualClock } from '../src/testing/index.js';
import { type BenchReport, type BenchRow, median, type PairedTiming, pairedCostRow } from './harness.js';

const pairs = Number(process.env.BENCH_LIFECYCLE_PAIRS ?? 5);

const config = (address: string) => `version: v1alpha1
machine:
  type: worker
  network:
    hostname: bench
    interfaces:
      - interface: eth0
        addresses: [${address}]
        routes:
          - network: 0.0.0.0/0
            gateway: 10.0.0.1
`;

interface Booted {
  readonly node: Node;
  readonly clock: VirtualClock;
  readonly dir: string;
  readonly platform: ReturnType<typeof createSimulatedPlatform>;
  /** Disk calls in flight. */
  readonly diskBusy: () => number;
}

/** Counts the node's disk calls in flight, so virtual time only moves while the node waits on it. */
function trackDisk(node: Node): () => number {
  let busy = 0;
  const disk = node.disk as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['read', 'write', 'remove', 'list', 'wipe']) {
    const call = disk[method]!.bind(disk);
    disk[method] = (...args) => {
      busy++;
      return call(...args).finally(() => busy--);
    };
  }
  return () => busy;
}

/** Runs the node until `done`, moving virtual time in 100 ms steps while it is idle; the virtual ms it took. */
async function until(b: Booted, done: () => boolean | Promise<boolean>): Promise<number> {
  const start = b.clock.now();
  for (let i = 0; i < 50_000; i++) {
    if (await done()) return b.clock.now() - start;
    await b.node.runtime.settled();
    await new Promise((resolve) => setImmediate(resolve));
    if (b.diskBusy() > 0) {
      // Real files: wait for the disk rather than let virtual time run ahead of it.
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    if (await done()) return b.clock.now() - start;
    await b.clock.advance(100);
  }
  throw new Error('the node did not get there');
}

async function booted(): Promise<Booted> {
  const clock = createVirtualClock();
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-lifecycle-'));
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: [{ name: 'eth0', dhcp: { subnet: '10.0.0.0/24', router: '10.0.0.1' } }],
  });
  const node = await createNode({
    platform,
    stateDir: dir,
    clock,
    config: config('10.0.0.50/24'),
    bootTimeoutMs: 60_000,
    rebootDelayMs: 1_000,
    logger: pino({ level: 'silent' }),
  });
  const b = { node, clock, dir, platform, diskBusy: trackDisk(node) };
  await node.start();
  let up = false;
  void node.booted().then(() => {
    up = true;
  });
  await until(b, () => up);
  return b;
}

async function done(b: Booted): Promise<void> {
  await b.node.stop();
  await rm(b.dir, { recursive: true, force: true });
}

/** Whether a lifecycle step was published since event `since`. */
const stepSeen = (b: Booted, since: number, step: string) =>
  b.node.events.recent().some((e) => e.id > since && e.type === 'lifecycle' && e.step === step);

const lastId = (b: Booted) => b.node.events.recent().at(-1)?.id ?? 0;

/** Upgrade request → committed; or, for a failing image, request → the old version running again. */
async function upgrade(failing: boolean): Promise<{ wall: number; virtual: number }> {
  const b = await booted();
  try {
    const since = lastId(b);
    const start = performance.now();
    const image = { version: 'v1.1.0', failingServices: failing ? ['apid'] : [] };
    const request = b.node.upgrade({ image });
    let up = false;
    const virtual = await until(b, async () => {
      if (!stepSeen(b, since, failing ? 'marker-deleted' : 'upgrade-committed')) return false;
      if (!up) void b.node.booted().then(() => (up = true));
      return up;
    });
    await request;
    return { wall: performance.now() - start, virtual };
  } finally {
    await done(b);
  }
}

/** The I/O floor of an upgrade: the same slot, META and loader writes, then the commit. */
async function upgradeFloor(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-floor-'));
  try {
    const disk = createFileDisk({ stateDir: dir });
    const boot = createDiskBoot(disk);
    const v1 = parseNodeImage({ version: 'v1.0.0' });
    await boot.writeSlot('A', { version: v1.version, image: JSON.stringify(v1) });
    await boot.setDefault('A');
    const start = performance.now();
    const meta = await openMetaStore(disk);
    await installUpgrade(boot, meta, 'A', parseNodeImage({ version: 'v1.1.0' }));
    await commitUpgrade(await openMetaStore(disk));
    return performance.now() - start;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** apply-config (no-reboot) → the kernel holds the new address. */
async function apply(): Promise<{ wall: number; virtual: number }> {
  const b = await booted();
  try {
    const start = performance.now();
    let held = false;
    const request = b.node.applyConfig(config('10.0.0.60/24'), { mode: 'no-reboot' });
    const virtual = await until(b, async () => {
      held ||= (await b.platform.network.addresses()).some((a) => a.address === '10.0.0.60/24');
      return held;
    });
    await request;
    return { wall: performance.now() - start, virtual };
  } finally {
    await done(b);
  }
}

/** The floor of an apply: the STATE write and the kernel call, made directly. */
async function applyFloor(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-floor-'));
  const clock = createVirtualClock();
  const platform = createSimulatedPlatform({ clock, seed: 1, links: [{ name: 'eth0' }] });
  try {
    const disk = createFileDisk({ stateDir: dir });
    const start = performance.now();
    await disk.write('STATE', 'config.yaml', config('10.0.0.60/24'));
    await platform.network.ensureLink({ name: 'eth0', logical: false, up: true });
    await platform.network.addAddress({ linkName: 'eth0', address: '10.0.0.60/24' });
    return performance.now() - start;
  } finally {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Interleaved pairs of a node operation and its floor. */
async function paired(
  ours: () => Promise<{ wall: number; virtual: number }>,
  floor: () => Promise<number>,
): Promise<{ timing: PairedTiming; virtual: number }> {
  const walls: number[] = [];
  const floors: number[] = [];
  const virtuals: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const r = await ours();
    walls.push(r.wall);
    virtuals.push(r.virtual);
    floors.push(await floor());
  }
  const ratios = walls.map((w, i) => w / (floors[i] ?? 1));
  return {
    timing: {
      ours: median(walls),
      baseline: median(floors),
      ratio: median(ratios),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    },
    virtual: median(virtuals),
  };
}

/** Runs the lifecycle benchmark. */
export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const figures = [
    ['upgrade: request to committed', () => upgrade(false), upgradeFloor, 2_000],
    ['upgrade of a failing image: request to reverted and running', () => upgrade(true), upgradeFloor, 5_000],
    ['apply-config no-reboot: request to the kernel holding it', apply, applyFloor, 500],
  ] as const;
  for (const [figure, ours, floor, maxRatio] of figures) {
    const { timing, virtual } = await paired(ours, floor);
    rows.push(pairedCostRow(`${figure} (wall)`, timing, maxRatio));
    rows.push({ figure: `${figure} (virtual)`, value: virtual, unit: 'virtual ms' });
  }
  return {
    name: 'lifecycle',
    rows,
    notes: [
      `median of ${pairs} interleaved pairs; the wall figures include the reboot in place (stop and start of every controller)`,
      'upgrade baseline: installUpgrade + commitUpgrade straight on the disk; apply baseline: the STATE write and the kernel call',
      'the failing upgrade waits out the 60 s virtual boot timeout and the 1 s reboot delay',
    ],
  };
}
