/**
 * `converge upgrade`, `rollback` and `reset`: upgrades run node after node (a control plane keeps
 * its quorum), each with a progress bar fed by the node's own events, and a one-line summary.
 */
import type { MachineEvent } from '../../node/events/machine-event.js';
import type { Output } from '../commands/output-sink.js';
import { describeError } from '../exit-codes.js';
import type { NodeClient } from './node-client.js';
import { formatEvent, onEveryNode } from './node-commands.js';
import { createProgress } from './progress.js';

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

/** Upgrades the nodes one after the other, stopping at the first failure. */
export async function upgradeCommand(
  clients: readonly NodeClient[],
  flags: UpgradeFlags,
  out: Output,
): Promise<void> {
  const started = Date.now();
  const progress = createProgress(
    clients.map((c) => c.name),
    3,
    out,
  );
  const image = flags.failsToBoot ? { version: flags.image, failsToBoot: true } : { version: flags.image };
  const outcomes: string[] = [];
  for (const client of clients) {
    let booted = '';
    try {
      progress.update(client.name, 0, `upgrading to ${flags.image}`);
      await client.stream(
        '/v1/node/upgrade',
        (item) => {
          if (item.type === 'progress')
            progress.update(client.name, 1, formatEvent(item.event as MachineEvent));
          else if (item.type === 'result')
            progress.update(client.name, 2, `installed in slot ${String(item.slot ?? '(staged)')}`);
          else if (item.type === 'booted') {
            booted = String(item.version);
            progress.update(client.name, 3, `running ${booted} (slot ${String(item.slot)})`);
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
      outcomes.push(
        booted === ''
          ? `${client.name}: ${flags.stage ? 'staged' : 'installed'}`
          : booted === flags.image
            ? `${client.name}: ${booted}`
            : `${client.name}: reverted to ${booted}`,
      );
    } catch (error) {
      progress.finish(`upgrade stopped at ${client.name}: ${describeError(error)}`);
      throw error;
    }
  }
  const seconds = ((Date.now() - started) / 1_000).toFixed(1);
  progress.finish(`upgrade to ${flags.image}: ${outcomes.join(', ')} (${seconds} s)`);
}

/** `converge rollback`: boots the other slot on each node. */
export async function rollbackCommand(
  clients: readonly NodeClient[],
  out: Output,
  err: Output,
): Promise<void> {
  await onEveryNode(clients, err, async (client) => {
    const answer = await client.json<{ message: string }>('POST', '/v1/node/rollback', {});
    out.write(`${client.name} ${answer.message}\n`);
  });
}

/** `converge bootstrap`: starts etcd as a new cluster on the (first) control plane. */
export async function bootstrapCommand(
  clients: readonly NodeClient[],
  out: Output,
  err: Output,
): Promise<void> {
  await onEveryNode(clients, err, async (client) => {
    const answer = await client.json<{ message: string }>('POST', '/v1/node/bootstrap', {});
    out.write(`${client.name} ${answer.message}\n`);
  });
}

/** `converge reset [--graceful=false]`: wipes STATE and EPHEMERAL and reboots into maintenance. */
export async function resetCommand(
  clients: readonly NodeClient[],
  graceful: boolean,
  out: Output,
  err: Output,
): Promise<void> {
  await onEveryNode(clients, err, async (client) => {
    const answer = await client.json<{ message: string }>('POST', '/v1/node/reset', { graceful });
    out.write(`${client.name} ${answer.message}\n`);
  });
}
