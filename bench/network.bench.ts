/**
 * `npm run bench -- network`: the node's network chain on the simulated platform.
 *
 * - N links × 4 addresses as merged specs (plus a default route, hostname and resolvers) through
 *   the spec controllers, the kernel, the status controllers, NodeAddress, the /etc files and
 *   NetworkStatus until NetworkStatus is ready, at N = 250, 500 and 1,000 (goal: 1,000 × 4 under
 *   2 s wall, growing linearly), in wall time and in this process's CPU time (which a shared
 *   machine's load inflates less), against the plain baseline of making the same kernel calls
 *   directly, measured in interleaved pairs;
 * - reconciles per resource written over that run (goal: under 3, no storms);
 * - a node with no config, from an empty store to NetworkStatus ready through DHCP, and a config
 *   edit until the kernel holds it, in virtual and wall time;
 * - on Linux, a config edit until `ip -n NS -json` shows it, in a namespace the bench makes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyResource, createRuntime, createState, type Runtime } from '../src/index.js';
import { createNode } from '../src/node/create-node.js';
import {
  AddressSpecs,
  createSimulatedPlatform,
  HostnameSpecs,
  LinkSpecs,
  NetworkStatuses,
  ResolverSpecs,
  RouteSpecs,
} from '../src/node/index.js';
import { nodeControllers } from '../src/node/node-controllers.js';
import type { State } from '../src/runtime/state/state.js';
import { createVirtualClock, type VirtualClock } from '../src/testing/index.js';
import { type BenchReport, type BenchRow, costRow } from './harness.js';
import { linuxConfigEdit } from './network-linux.js';

const pairs = Number(process.env.BENCH_NETWORK_PAIRS ?? 3);

function linkName(i: number): string {
  return `eth${i}`;
}

function addressOf(i: number, j: number): string {
  return `10.${Math.floor(i / 250)}.${i % 250}.${10 + j}/16`;
}

async function networkReady(state: State): Promise<boolean> {
  const status = (await state.list(NetworkStatuses.kind()))[0];
  return status !== undefined && Object.values(status.spec).every(Boolean);
}

/** Settles the runtime and moves the virtual clock until `done`, returning the virtual ms it took. */
async function until(runtime: Runtime, clock: VirtualClock, done: () => Promise<boolean>): Promise<number> {
  const start = clock.now();
  for (let i = 0; i < 600; i++) {
    await runtime.settled();
    if (await done()) return clock.now() - start;
    await clock.advance(100);
  }
  throw new Error('the network did not become ready');
}

interface ChainRun {
  wallMs: number;
  cpuMs: number;
  reconciles: number;
  writes: number;
}

/** The whole chain for N links × 4 addresses. */
async function chain(n: number): Promise<ChainRun> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-chain-'));
  const clock = createVirtualClock();
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: Array.from({ length: n }, (_, i) => ({ name: linkName(i) })),
  });
  const state = createState({ clock });
  const runtime = createRuntime({ state, clock });
  for (const c of nodeControllers(platform, { stateDir: dir })) runtime.register(c);
  const start = performance.now();
  const cpu = process.cpuUsage();
  await runtime.start();
  const specs: AnyResource[] = [LinkSpecs.make('lo', { name: 'lo', up: true })];
  for (let i = 0; i < n; i++) {
    specs.push(LinkSpecs.make(linkName(i), { name: linkName(i), up: true }));
    for (let j = 0; j < 4; j++) {
      const address = addressOf(i, j);
      specs.push(
        AddressSpecs.make(`${linkName(i)}/${address}`, { address, linkName: linkName(i), family: 'inet4' }),
      );
    }
  }
  specs.push(
    RouteSpecs.make('inet4/10.0.0.1//1024', {
      family: 'inet4',
      gateway: '10.0.0.1',
      outLinkName: 'eth0',
      priority: 1024,
    }),
    HostnameSpecs.make('hostname', { hostname: 'bench' }),
    ResolverSpecs.make('resolvers', { dnsServers: ['1.1.1.1'] }),
  );
  for (const s of specs) await state.create(s);
  await until(runtime, clock, () => networkReady(state));
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1_000;
  const metrics = runtime.metrics();
  const reconciles = Object.values(metrics.controllers).reduce((sum, c) => sum + c.reconciles, 0);
  let writes = 0;
  for (const kind of runtime.dependencyGraph().types) {
    for (const r of await state.list({ namespace: 'network', type: kind }).catch(() => [])) {
      if (r.metadata.owner !== '') writes += r.metadata.version;
    }
  }
  await runtime.stop();
  await platform.close();
  await rm(dir, { recursive: true, force: true });
  return { wallMs, cpuMs, reconciles, writes };
}

/** The plain baseline: the same kernel calls made directly, no resources, no controllers. */
async function direct(n: number): Promise<number> {
  const clock = createVirtualClock();
  const platform = createSimulatedPlatform({
    clock,
    seed: 1,
    links: Array.from({ length: n }, (_, i) => ({ name: linkName(i) })),
  });
  const start = performance.now();
  const network = platform.network;
  await network.ensureLink({ name: 'lo', logical: false, up: true });
  for (let i = 0; i < n; i++) {
    await network.ensureLink({ name: linkName(i), logical: false, up: true });
    for (let j = 0; j < 4; j++) await network.addAddress({ linkName: linkName(i), address: addressOf(i, j) });
  }
  await network.addRoute({
    family: 'inet4',
    destination: '',
    gateway: '10.0.0.1',
    outLinkName: 'eth0',
    priority: 1024,
  });
  await network.setHostname('bench', '');
  await network.setResolvers({ nameServers: ['1.1.1.1'], searchDomains: [] });
  await Promise.all([network.links(), network.addresses(), network.routes()]);
  const ms = performance.now() - start;
  await platform.close();
  return ms;
}

/** A node from nothing to ready over DHCP, then a static config edit until the kernel holds it. */
async function node(): Promise<{
  bootVirtual: number;
  bootWall: number;
  editVirtual: number;
  editWall: number;
}> {
  const clock = createVirtualClock();
  const dir = await mkdtemp(join(tmpdir(), 'converge-bench-node-'));
  try {
    const platform = createSimulatedPlatform({
      clock,
      seed: 1,
      links: [{ name: 'eth0', dhcp: { subnet: '10.0.0.0/24', router: '10.0.0.1' } }],
    });
    const n = await createNode({ platform, stateDir: dir, clock });
    let start = performance.now();
    await n.start();
    const bootVirtual = await until(n.runtime, clock, () => networkReady(n.state));
    const bootWall = performance.now() - start;
    start = performance.now();
    await n.applyConfig(
      'version: v1alpha1\nmachine:\n  type: worker\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [10.0.0.50/24]\n        routes:\n          - network: 0.0.0.0/0\n            gateway: 10.0.0.1\n',
    );
    const held = async () =>
      (await platform.network.addresses()).some((a) => a.address === '10.0.0.50/24') &&
      platform.dhcp.clients().length === 0;
    const editVirtual = await until(n.runtime, clock, held);
    const editWall = performance.now() - start;
    await n.stop();
    return { bootVirtual, bootWall, editVirtual, editWall };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Growth exponent of a cost between two sizes: 1 is linear, 2 quadratic. */
function exponent(small: number, big: number, ratio: number): number {
  return Math.log(big / small) / Math.log(ratio);
}

/** Runs the network benchmark. */
export async function run(): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const sizes = [250, 500, 1_000];
  const best = new Map<number, ChainRun>();
  for (const n of sizes) {
    let fastest: ChainRun | undefined;
    let leastCpu = Number.POSITIVE_INFINITY;
    let baseline = Number.POSITIVE_INFINITY;
    for (let p = 0; p < pairs; p++) {
      const c = await chain(n);
      if (fastest === undefined || c.wallMs < fastest.wallMs) fastest = c;
      leastCpu = Math.min(leastCpu, c.cpuMs);
      baseline = Math.min(baseline, await direct(n));
    }
    if (fastest === undefined) throw new Error('no run');
    best.set(n, { ...fastest, cpuMs: leastCpu });
    rows.push(
      costRow(`${n} links x 4 addresses to NetworkStatus ready`, fastest.wallMs, baseline, 'ms', 200),
    );
    rows.push({ figure: `${n} links x 4 addresses to ready, CPU time`, value: leastCpu, unit: 'cpu ms' });
    rows.push({
      figure: `${n} links: reconciles per resource written`,
      value: fastest.reconciles / fastest.writes,
      unit: 'reconciles/write',
      target: '< 3',
      met: fastest.reconciles / fastest.writes < 3,
    });
  }
  const big = best.get(1_000)!;
  const small = best.get(250)!;
  rows.push({
    figure: '1,000 x 4 to ready (goal: under 2 s)',
    value: big.wallMs,
    unit: 'ms',
    target: '< 2000 ms',
    met: big.wallMs < 2_000,
  });
  const wallGrowth = exponent(small.wallMs, big.wallMs, 4);
  const cpuGrowth = exponent(small.cpuMs, big.cpuMs, 4);
  rows.push({
    figure: 'growth exponent 250 → 1,000 links (wall)',
    value: wallGrowth,
    unit: '',
    target: '~1 (linear)',
    met: wallGrowth < 1.3,
  });
  rows.push({
    figure: 'growth exponent 250 → 1,000 links (CPU)',
    value: cpuGrowth,
    unit: '',
    target: '~1 (linear)',
    met: cpuGrowth < 1.3,
  });
  const boot = await node();
  rows.push({
    figure: 'node: empty store to NetworkStatus ready (DHCP)',
    value: boot.bootVirtual,
    unit: 'virtual ms',
  });
  rows.push({
    figure: 'node: empty store to NetworkStatus ready (DHCP)',
    value: boot.bootWall,
    unit: 'wall ms',
  });
  rows.push({
    figure: 'node: static config edit to the kernel holding it',
    value: boot.editVirtual,
    unit: 'virtual ms',
  });
  rows.push({
    figure: 'node: static config edit to the kernel holding it',
    value: boot.editWall,
    unit: 'wall ms',
  });
  rows.push(...(await linuxConfigEdit(Math.max(3, pairs * 2))));
  notes.push(
    'baseline: the same kernel calls made directly on the simulated platform, best of interleaved pairs',
    'Linux baseline: the same address added with ip directly until ip -json shows it, interleaved pairs',
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  return { name: 'network', rows, notes };
}
