/**
 * `converge demo` (what `npm start` runs): a local cluster of three control planes driven only
 * through the node API, step by step, each step printed as the command a user would type. It
 * creates the cluster (etcd bootstrapped on cp-1, the others joining), waits for health, upgrades
 * the nodes one by one, tries a version that fails to boot on one node and shows it revert by
 * itself, prints a summary, and destroys the cluster (also on Ctrl-C or a failure).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyLocalCluster } from '../../node/cluster/local-cluster.js';
import type { Output } from '../commands/output-sink.js';
import { resolveConnection } from '../config.js';
import { CliError, describeError, exitCodes } from '../exit-codes.js';
import { clusterCreateCommand } from './cluster-commands.js';
import { UpgradeRevertedError, upgradeCommand } from './lifecycle-commands.js';
import { createNodeClient, type NodeClient, resolveTargets } from './node-client.js';
import { healthCommand } from './node-commands.js';
import { versionCommand } from './version-command.js';

/** Options of `converge demo`. */
export interface DemoFlags {
  /** Where the cluster's folder goes (default: a new temporary folder). */
  readonly dir?: string;
  readonly port: number;
  readonly firstAddress: number;
  /** Leave the cluster running at the end, to look around with the other verbs. */
  readonly keep?: boolean;
}

/** The versions the demo installs: a good one for every node, then a broken one for one node. */
const goodVersion = 'v1.1.0';
const brokenVersion = 'v1.2.0';
const controlPlanes = 3;

/** One finished step, for the summary. */
interface DemoStep {
  readonly what: string;
  readonly seconds: number;
}

/**
 * One run of the demo: its steps with their timings, the outputs a step writes to (silenced once
 * Ctrl-C abandoned it: its connections cut, what it still prints is noise), and the interruption.
 */
class DemoRun {
  readonly steps: DemoStep[] = [];
  readonly live: Output;
  readonly liveErr: Output;
  #stopped = false;
  #interrupt: (signal: NodeJS.Signals) => void = () => {};
  readonly #interrupted = new Promise<never>((_, reject) => {
    this.#interrupt = (signal) => {
      this.#stopped = true;
      reject(new CliError(`interrupted by ${signal}`, 130));
    };
  });

  constructor(
    readonly out: Output,
    err: Output,
  ) {
    this.live = { write: (text) => (this.#stopped ? undefined : out.write(text)) };
    this.liveErr = { write: (text) => (this.#stopped ? undefined : err.write(text)) };
    this.#interrupted.catch(() => {});
  }

  /** Routes SIGINT and SIGTERM to the running step until the returned function is called. */
  trapSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => this.#interrupt(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }

  /** Prints the step and its command, runs it (abandoned on a signal unless not `interruptible`). */
  async step(title: string, command: string, body: () => Promise<void>, interruptible = true): Promise<void> {
    this.out.write(`\n== ${title}\n$ ${command}\n`);
    const started = Date.now();
    await (interruptible ? Promise.race([body(), this.#interrupted]) : body());
    this.steps.push({ what: title, seconds: (Date.now() - started) / 1_000 });
  }
}

/** Runs the demo; the cluster is destroyed whatever happens, unless `--keep` and it succeeded. */
export async function demoCommand(flags: DemoFlags, out: Output, err: Output): Promise<void> {
  const parent = flags.dir ?? (await mkdtemp(join(tmpdir(), 'converge-demo-')));
  const dir = join(parent, 'cluster');
  const demo = new DemoRun(out, err);
  const clients: NodeClient[] = [];
  // The node processes run in their own process groups: Ctrl-C reaches the demo, not them, so the
  // demo abandons its step and destroys the cluster itself.
  const untrap = demo.trapSignals();
  out.write(
    `converge demo: ${controlPlanes} control planes as local processes, driven through their API only\n`,
  );
  let keep = false;
  try {
    await demoSteps(demo, flags, dir, clients);
    keep = flags.keep === true;
  } catch (error) {
    err.write(`demo failed: ${describeError(error)} (node logs: ${dir}/nodes/*/node.log)\n`);
    throw error;
  } finally {
    untrap();
    for (const client of clients) client.close();
    if (keep) {
      out.write(
        `\nthe cluster keeps running: export CONVERGE_CONFIG=${dir}/config.yaml; converge cluster destroy --dir ${dir}\n`,
      );
    } else {
      await demo
        .step(
          'destroy the cluster: no process, no file left',
          `converge cluster destroy --dir ${dir}`,
          () => destroyQuietly(dir, parent, flags.dir === undefined, out),
          false,
        )
        .catch((error: unknown) => err.write(`cluster destroy failed: ${describeError(error)}\n`));
    }
  }
  printSummary(demo.steps, out);
}

/** The demo's steps against the cluster in `dir`; the node clients it opens go into `clients`. */
async function demoSteps(demo: DemoRun, flags: DemoFlags, dir: string, clients: NodeClient[]): Promise<void> {
  const { live, liveErr } = demo;
  const create = {
    controlPlanes,
    workers: 0,
    dir,
    port: flags.port,
    firstAddress: flags.firstAddress,
    name: 'converge-demo',
    timeout: 120,
  };
  await demo.step(
    `create a cluster of ${controlPlanes} control planes (etcd bootstrapped on cp-1, the others join)`,
    `converge cluster create --control-planes ${controlPlanes} --dir ${dir} --port ${flags.port} --first-address ${flags.firstAddress}`,
    () => clusterCreateCommand(create, live),
  );
  clients.push(...clusterClients(join(dir, 'config.yaml')));
  demo.out.write(`\n(every verb below reads the cluster from: export CONVERGE_CONFIG=${dir}/config.yaml)\n`);
  const health = () => healthCommand(clients, { timeoutSeconds: 120 }, live, liveErr);
  await demo.step('wait until every node passes its health checks', 'converge health', health);
  await demo.step('the version each node runs', 'converge version', () =>
    versionCommand(clients, live, liveErr),
  );
  await demo.step(
    `upgrade the nodes one by one to ${goodVersion} (etcd keeps its quorum: one member down at a time)`,
    `converge upgrade --image ${goodVersion}`,
    () => upgradeCommand(clients, { image: goodVersion, wait: true }, live),
  );
  const victim = clients.at(-1)!;
  await demo.step(
    `try ${brokenVersion}, a version that fails to boot, on ${victim.name}: it reverts by itself`,
    `converge upgrade --image ${brokenVersion} --fails-to-boot -n ${victim.name}`,
    () => expectRevert(victim, live),
  );
  await demo.step('the cluster is healthy again', 'converge health', health);
  await demo.step('what runs where now', 'converge version', () => versionCommand(clients, live, liveErr));
}

/** The clients of every node the cluster's client config names. */
function clusterClients(config: string): NodeClient[] {
  const connection = resolveConnection({ config }, {});
  return resolveTargets(connection, undefined).map((t) =>
    createNodeClient(t.name, t.endpoint, connection.tls),
  );
}

/** Upgrades `client` to the broken version; the demo succeeds only if the node reverted. */
async function expectRevert(client: NodeClient, out: Output): Promise<void> {
  try {
    await upgradeCommand([client], { image: brokenVersion, failsToBoot: true, wait: true }, out);
  } catch (error) {
    if (error instanceof UpgradeRevertedError) {
      out.write(`as expected: ${error.message}\n`);
      return;
    }
    throw error;
  }
  throw new CliError(`${client.name} booted ${brokenVersion}, which should have failed`, exitCodes.failure);
}

/** Destroys the cluster and removes the demo's own temporary folder around it. */
async function destroyQuietly(dir: string, parent: string, ownParent: boolean, out: Output): Promise<void> {
  const stopped = await destroyLocalCluster(dir).catch((error: unknown) => {
    // Nothing to destroy when create failed before writing cluster.yaml.
    if (/holds no cluster/.test(describeError(error))) return 0;
    throw error;
  });
  if (ownParent) await rm(parent, { recursive: true, force: true });
  out.write(`cluster destroyed: ${stopped} node process(es) stopped, ${dir} removed\n`);
}

/** The steps and how long each took. */
function printSummary(steps: readonly DemoStep[], out: Output): void {
  const width = Math.max(...steps.map((s) => s.what.length));
  out.write('\nsummary\n');
  for (const s of steps) out.write(`  ${s.what.padEnd(width)}  ${s.seconds.toFixed(1).padStart(6)} s\n`);
  const total = steps.reduce((sum, s) => sum + s.seconds, 0);
  out.write(`  ${'total'.padEnd(width)}  ${total.toFixed(1).padStart(6)} s\n`);
}
