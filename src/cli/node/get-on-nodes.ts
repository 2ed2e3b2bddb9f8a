/**
 * `converge get --nodes a,b`: the resource verbs against several nodes at once, every line of
 * output prefixed with the node's name (as talosctl's NODE column).
 */
import { type GetOptions, getCommand } from '../commands/get.js';
import type { Output } from '../commands/output-sink.js';
import { type ConnectionFlags, resolveConnection } from '../config.js';
import { openSession } from '../session.js';
import { resolveTargets } from './node-client.js';
import { onEveryNode } from './node-commands.js';

/** An output that prefixes each complete line with `name`. */
function prefixedOutput(name: string, width: number, out: Output): Output & { flush(): void } {
  let pending = '';
  const label = name.padEnd(width);
  return {
    write(text) {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.length > 0) out.write(lines.map((l) => `${label}   ${l}\n`).join(''));
    },
    flush() {
      if (pending !== '') out.write(`${label}   ${pending}\n`);
      pending = '';
    },
  };
}

/** Runs `get` on every node of `--nodes`, in parallel. */
export async function getOnNodes(
  flags: ConnectionFlags,
  nodes: string,
  args: { type: string; id: string | undefined; options: GetOptions },
  out: Output,
  err: Output,
): Promise<void> {
  const connection = resolveConnection(flags);
  const targets = resolveTargets(connection, nodes);
  const width = Math.max(...targets.map((t) => t.name.length));
  await onEveryNode(targets, err, async (target) => {
    const session = openSession(
      { ...flags, endpoint: target.endpoint },
      args.options.watch ? { reportDrops: true } : {},
    );
    const lines = prefixedOutput(target.name, width, out);
    try {
      await getCommand(session, args.type, args.id, args.options, lines, err);
    } finally {
      lines.flush();
      await session.close();
    }
  });
}
