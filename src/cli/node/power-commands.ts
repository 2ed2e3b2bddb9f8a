/**
 * `converge reboot` and `converge shutdown`: ask each node, then (reboot) follow it going down and
 * coming back (a new boot, running), with progress per node and a one-line summary.
 */
import type { NodeInfo } from '../../node/api/node-info.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, exitCodes } from '../exit-codes.js';
import type { NodeClient } from './node-client.js';
import { onEveryNode } from './node-commands.js';
import { createProgress } from './progress.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function info(client: NodeClient): Promise<NodeInfo | undefined> {
  try {
    return await client.json<NodeInfo>('GET', '/v1/node/info');
  } catch {
    return undefined;
  }
}

/** `converge reboot [--wait] [--timeout s]` / `converge shutdown`. */
export async function powerCommand(
  clients: readonly NodeClient[],
  action: 'reboot' | 'shutdown',
  options: { wait: boolean; timeoutSeconds: number },
  out: Output,
  err: Output,
): Promise<void> {
  const started = Date.now();
  const total = action === 'reboot' && options.wait ? 3 : 1;
  const progress = createProgress(
    clients.map((c) => c.name),
    total,
    out,
  );
  await onEveryNode(clients, err, async (client) => {
    const before = await client.json<NodeInfo>('GET', '/v1/node/info');
    await client.json('POST', `/v1/node/${action}`);
    progress.update(client.name, 1, `${action} accepted`);
    if (total === 1) return;
    const deadline = Date.now() + options.timeoutSeconds * 1_000;
    let down = false;
    for (;;) {
      if (Date.now() > deadline) {
        throw new CliError(
          `${client.name} did not come back within ${options.timeoutSeconds} s`,
          exitCodes.failure,
        );
      }
      const now = await info(client);
      if (now === undefined && !down) {
        down = true;
        progress.update(client.name, 2, 'down');
      }
      if (now !== undefined && now.bootId !== before.bootId && now.stage === 'running') {
        progress.update(client.name, 3, `back: running${now.ready ? ', ready' : ''}`);
        return;
      }
      await sleep(100);
    }
  });
  const seconds = ((Date.now() - started) / 1_000).toFixed(1);
  const done = action === 'reboot' ? (options.wait ? 'rebooted and running' : 'rebooting') : 'shutting down';
  progress.finish(`${action}: ${clients.length} node(s) ${done} (${seconds} s)`);
}
