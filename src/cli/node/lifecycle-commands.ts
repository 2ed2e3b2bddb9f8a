/**
 * `converge upgrade`, `rollback` and `reset`: upgrades run node after node (a control plane keeps
 * its quorum), each with a progress bar fed by the node's own events, and a one-line summary.
 */
import type { MachineEvent } from '../../node/events/machine-event.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, describeError, exitCodes } from '../exit-codes.js';
import type { NodeClient } from './node-client.js';
import { formatEvent, onEveryNode } from './node-commands.js';
import { createProgress, type Progress } from './progress.js';

/** Options of `converge upgrade`. */
export interface UpgradeFlags {
  readonly image: string;
  readonly stage?: boolean;
  readonly noReboot?: boolean;
  readonly force?: boolean;
  readonly wait: boolean;
  /** The image fails to boot (a broken version, to see the node revert by itself). */
  readonly failsToBoot?: boolean;
}

/** A node booted the version asked, failed, and came back on `booted` by itself (exit 1). */
export class UpgradeRevertedError extends CliError {
  constructor(
    readonly node: string,
    readonly image: string,
    readonly booted: string,
  ) {
    super(`${node} did not boot ${image}: it reverted to ${booted} by itself`, exitCodes.failure);
    this.name = 'UpgradeRevertedError';
  }
}

/** How long an upgraded node has to pass its health checks before the upgrade stops. */
const healthTimeoutSeconds = 120;

/** Waits until the node passes every health check; a failed check throws, naming it. */
async function waitHealthy(client: NodeClient, progress: Progress): Promise<void> {
  const failed: string[] = [];
  await client.stream(`/v1/node/health?timeoutSeconds=${healthTimeoutSeconds}`, (item) => {
    if (item.status === 'failed') failed.push(`${String(item.check)} (${String(item.message)})`);
  });
  if (failed.length > 0) {
    throw new CliError(
      `${client.name} is not healthy after the upgrade: ${failed.join('; ')}`,
      exitCodes.failure,
    );
  }
  progress.update(client.name, 4, 'healthy');
}

/** An event an upgrade's output keeps: a failed sequence, or a step of the boot that commits or reverts. */
function isNotable(event: MachineEvent): boolean {
  if (event.type === 'lifecycle') return event.operation === 'boot';
  return event.type === 'sequence' && event.error !== undefined;
}

/** What one node's upgrade ended with: the version it booted, or nothing when staged or not waited. */
async function upgradeOne(
  client: NodeClient,
  flags: UpgradeFlags,
  progress: Progress,
): Promise<string | undefined> {
  const image = flags.failsToBoot ? { version: flags.image, failsToBoot: true } : { version: flags.image };
  let booted: string | undefined;
  // Events keep coming after the install result: the bar stays at the furthest step reached.
  let step = 1;
  progress.update(client.name, 0, `upgrading to ${flags.image}`);
  await client.stream(
    '/v1/node/upgrade',
    (item) => {
      if (item.type === 'progress') {
        const event = item.event as MachineEvent;
        progress.update(client.name, step, formatEvent(event));
        if (isNotable(event)) progress.note(client.name, formatEvent(event));
      } else if (item.type === 'result') {
        step = 2;
        progress.update(client.name, step, `installed in slot ${String(item.slot ?? '(staged)')}`);
      } else if (item.type === 'booted') {
        booted = String(item.version);
        step = 3;
        progress.update(client.name, step, `running ${booted} (slot ${String(item.slot)})`);
      }
    },
    undefined,
    {
      image,
      stage: flags.stage === true,
      noReboot: flags.noReboot === true,
      force: flags.force === true,
      wait: flags.wait,
    },
  );
  return booted;
}

/**
 * Upgrades the nodes one after the other. It stops at the first node that fails, and at the first
 * that comes back on another version than asked (its failed boot reverted it): the rest keep theirs.
 */
export async function upgradeCommand(
  clients: readonly NodeClient[],
  flags: UpgradeFlags,
  out: Output,
): Promise<void> {
  const started = Date.now();
  const progress = createProgress(
    clients.map((c) => c.name),
    4,
    out,
  );
  const outcomes: string[] = [];
  for (const client of clients) {
    let booted: string | undefined;
    try {
      booted = await upgradeOne(client, flags, progress);
      // The next node waits for this one to pass its health checks: its etcd member back and
      // healthy is what keeps the quorum when the next one goes down.
      if (booted !== undefined) await waitHealthy(client, progress);
    } catch (error) {
      progress.finish(`upgrade stopped at ${client.name}: ${describeError(error)}`);
      throw error;
    }
    if (booted !== undefined && booted !== flags.image) {
      const left = clients.slice(clients.indexOf(client) + 1).map((c) => c.name);
      const rest = left.length === 0 ? '' : `; ${left.join(', ')} not upgraded`;
      progress.finish(
        `upgrade to ${flags.image} stopped: ${[...outcomes, `${client.name}: reverted to ${booted}`].join(', ')}${rest}`,
      );
      throw new UpgradeRevertedError(client.name, flags.image, booted);
    }
    outcomes.push(`${client.name}: ${booted ?? (flags.stage ? 'staged' : 'installed')}`);
  }
  const seconds = ((Date.now() - started) / 1_000).toFixed(1);
  progress.finish(`upgrade to ${flags.image}: ${outcomes.join(', ')} (${seconds} s)`);
}

/** POSTs `body` to `path` on every node and prints each node's answer. */
async function postOnEveryNode(
  clients: readonly NodeClient[],
  path: string,
  body: unknown,
  out: Output,
  err: Output,
): Promise<void> {
  await onEveryNode(clients, err, async (client) => {
    const answer = await client.json<{ message: string }>('POST', path, body);
    out.write(`${client.name} ${answer.message}\n`);
  });
}

/** `converge rollback`: boots the other slot on each node. */
export function rollbackCommand(clients: readonly NodeClient[], out: Output, err: Output): Promise<void> {
  return postOnEveryNode(clients, '/v1/node/rollback', {}, out, err);
}

/** `converge bootstrap`: starts etcd as a new cluster on the (first) control plane. */
export function bootstrapCommand(clients: readonly NodeClient[], out: Output, err: Output): Promise<void> {
  return postOnEveryNode(clients, '/v1/node/bootstrap', {}, out, err);
}

/** `converge reset [--graceful=false]`: wipes STATE and EPHEMERAL and reboots into maintenance. */
export function resetCommand(
  clients: readonly NodeClient[],
  graceful: boolean,
  out: Output,
  err: Output,
): Promise<void> {
  return postOnEveryNode(clients, '/v1/node/reset', { graceful }, out, err);
}
