/**
 * `converge version`: the client's version and, per node, the image version it runs, its boot
 * slot and stage (as `talosctl version` prints client and server tags).
 */
import type { NodeInfo } from '../../node/api/node-info.js';
import type { Output } from '../commands/output-sink.js';
import { printTable } from '../output.js';
import { packageVersion } from '../package-version.js';
import type { NodeClient } from './node-client.js';
import { onEveryNode } from './node-commands.js';

/** Prints the client's version, then a row per node (in the order the nodes were named). */
export async function versionCommand(
  clients: readonly NodeClient[],
  out: Output,
  err: Output,
): Promise<void> {
  out.write(`client: converge ${packageVersion()}\n`);
  const rows = new Map<string, string[]>();
  try {
    await onEveryNode(clients, err, async (client) => {
      const info = await client.json<NodeInfo>('GET', '/v1/node/info');
      rows.set(client.name, [
        client.name,
        info.version,
        info.slot,
        info.machineType,
        info.stage,
        info.ready ? 'yes' : 'no',
      ]);
    });
  } finally {
    // The nodes that answered are printed even when another one failed.
    const table = clients.map((c) => rows.get(c.name)).filter((r) => r !== undefined);
    if (table.length > 0) {
      printTable(['NODE', 'VERSION', 'SLOT', 'TYPE', 'STAGE', 'READY'], table, (t) => out.write(t));
    }
  }
}
