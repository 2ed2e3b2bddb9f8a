/**
 * The node verbs of `converge`, as talosctl has them: each runs against one node or several
 * (`-n a,b,c`), in parallel, every output line carrying the node's name.
 */
import { readFile } from 'node:fs/promises';
import type { MachineEvent } from '../../node/events/machine-event.js';
import type { ServiceStatus } from '../../node/supervisor/service-runner.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, describeError, exitCodeOf, exitCodes } from '../exit-codes.js';
import { printTable } from '../output.js';
import type { NodeClient } from './node-client.js';

/** Runs `fn` on every node at once; a failing node is reported and fails the command at the end. */
export async function onEveryNode<T extends { readonly name: string }>(
  clients: readonly T[],
  stderr: Output,
  fn: (client: T) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(clients.map((c) => fn(c)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [[clients[i]!, r.reason] as const] : [],
  );
  if (failures.length === 0) return;
  if (failures.length === 1 && clients.length === 1) throw failures[0]![1];
  for (const [client, error] of failures) stderr.write(`error: ${client.name}: ${describeError(error)}\n`);
  throw new CliError(
    `${failures.length} of ${clients.length} nodes failed`,
    Math.max(...failures.map(([, e]) => exitCodeOf(e))),
  );
}

/** Writes lines, each prefixed with the node's name (multi-node output). */
export function prefixed(name: string, out: Output): (line: string) => void {
  return (line) => out.write(`${name} ${line}\n`);
}

/** The node's services, as `GET /v1/node/services` lists them. */
async function listServices(client: NodeClient): Promise<readonly ServiceStatus[]> {
  const { services } = await client.json<{ services: ServiceStatus[] }>('GET', '/v1/node/services');
  return services;
}

/** `converge services`: one table, a row per node and service. */
export async function servicesCommand(
  clients: readonly NodeClient[],
  out: Output,
  err: Output,
): Promise<void> {
  const rows: string[][] = [];
  await onEveryNode(clients, err, async (client) => {
    for (const s of await listServices(client)) {
      const health = s.healthy === undefined ? (s.hasHealthCheck ? '?' : '-') : s.healthy ? 'OK' : 'Fail';
      rows.push([client.name, s.id, s.state, health, String(s.restarts), s.message]);
    }
  });
  rows.sort((a, b) => (a[0]! + a[1]! < b[0]! + b[1]! ? -1 : 1));
  printTable(['NODE', 'SERVICE', 'STATE', 'HEALTH', 'RESTARTS', 'LAST EVENT'], rows, (t) => out.write(t));
}

/** `converge service <id> [status|start|stop|restart]`. */
export async function serviceCommand(
  clients: readonly NodeClient[],
  id: string,
  action: string,
  out: Output,
  err: Output,
): Promise<void> {
  if (!['status', 'start', 'stop', 'restart'].includes(action)) {
    throw new CliError(
      `unknown service action ${JSON.stringify(action)}: use status, start, stop or restart`,
      exitCodes.usage,
    );
  }
  await onEveryNode(clients, err, async (client) => {
    const path = `/v1/node/services/${encodeURIComponent(id)}`;
    if (action === 'status') {
      const s = (await listServices(client)).find((x) => x.id === id);
      if (s === undefined)
        throw new CliError(`service ${JSON.stringify(id)} is not loaded`, exitCodes.notFound);
      out.write(
        `${client.name} ${s.id} ${s.state} healthy=${s.healthy ?? '?'} restarts=${s.restarts} ${s.message}\n`,
      );
      return;
    }
    const { service } = await client.json<{ service: ServiceStatus }>('POST', `${path}/${action}`);
    out.write(
      `${client.name} service ${id} ${action === 'stop' ? 'stopped' : `${action}ed`}: ${service.state}\n`,
    );
  });
}

/** `converge logs <service> [-f] [--tail N]`. */
export async function logsCommand(
  clients: readonly NodeClient[],
  service: string,
  options: { follow?: boolean; tail?: number },
  out: Output,
  err: Output,
): Promise<void> {
  const prefix = clients.length > 1;
  await onEveryNode(clients, err, async (client) => {
    const write = (line: string) => out.write(prefix ? `${client.name}: ${line}\n` : `${line}\n`);
    const base = `/v1/node/services/${encodeURIComponent(service)}/logs`;
    const tail = options.tail === undefined ? '' : `tail=${options.tail}`;
    if (options.follow) {
      const query = [tail, 'follow=true'].filter((q) => q !== '').join('&');
      await client.stream(`${base}?${query}`, (entry) => write(String(entry.line)));
    } else {
      const { lines } = await client.json<{ lines: { line: string }[] }>(
        'GET',
        tail === '' ? base : `${base}?${tail}`,
      );
      for (const l of lines) write(l.line);
    }
  });
}

/** One event as a line. */
export function formatEvent(e: MachineEvent): string {
  switch (e.type) {
    case 'service':
      return `service ${e.service}: ${e.state}${e.message === '' ? '' : `: ${e.message}`}`;
    case 'config':
      return `config ${e.action}: ${e.message}`;
    case 'sequence':
      return `sequence ${e.sequence}: ${e.action}${e.error ? ` (${e.error.code}: ${e.error.message})` : ''}`;
    case 'phase':
      return `phase ${e.sequence}/${e.phase}: ${e.action}${e.error ? ` (${e.error.code}: ${e.error.message})` : ''}`;
    case 'task':
      return `task ${e.sequence}/${e.phase}/${e.task}: ${e.action}${e.error ? ` (${e.error.code}: ${e.error.message})` : ''}`;
    default:
      return `${e.operation} ${e.step}: ${e.message}`;
  }
}

/** `converge events [--tail N] [-f]`. */
export async function eventsCommand(
  clients: readonly NodeClient[],
  options: { tail: number; follow?: boolean },
  out: Output,
  err: Output,
): Promise<void> {
  await onEveryNode(clients, err, async (client) => {
    const write = (e: MachineEvent) => out.write(`${client.name} ${e.time} ${formatEvent(e)}\n`);
    if (options.follow) {
      await client.stream(`/v1/node/events?tail=${options.tail}&follow=true`, (e) =>
        write(e as unknown as MachineEvent),
      );
    } else {
      const { events } = await client.json<{ events: MachineEvent[] }>(
        'GET',
        `/v1/node/events?tail=${options.tail}`,
      );
      for (const e of events) write(e);
    }
  });
}

/** `converge health`: every node's checks in order, `waiting for <check>: <why>` until each is OK. */
export async function healthCommand(
  clients: readonly NodeClient[],
  options: { timeoutSeconds: number },
  out: Output,
  err: Output,
): Promise<void> {
  let failed = 0;
  await onEveryNode(clients, err, async (client) => {
    await client.stream(`/v1/node/health?timeoutSeconds=${options.timeoutSeconds}`, (item) => {
      const check = String(item.check);
      const message = String(item.message);
      if (item.status === 'waiting') out.write(`${client.name} waiting for ${check}: ${message}\n`);
      else if (item.status === 'ok') out.write(`${client.name} waiting for ${check}: OK\n`);
      else if (item.status === 'skipped')
        out.write(`${client.name} waiting for ${check}: SKIP (${message})\n`);
      else {
        failed++;
        out.write(`${client.name} ${check}: FAILED (${message})\n`);
      }
    });
  });
  if (failed > 0) throw new CliError(`${failed} node(s) are not healthy`, exitCodes.failure);
  out.write(`healthy: ${clients.length} node(s) passed every check\n`);
}

/** `converge inspect dependencies [-o json|dot|svg]`: the controller graph of each node. */
export async function dependenciesCommand(
  clients: readonly NodeClient[],
  format: string,
  out: Output,
  err: Output,
): Promise<void> {
  if (!['json', 'dot', 'svg'].includes(format)) {
    throw new CliError('-o must be json, dot or svg', exitCodes.usage);
  }
  await onEveryNode(clients, err, async (client) => {
    const text = await client.text(`/v1/node/graph?format=${format}`);
    out.write(clients.length > 1 ? `# ${client.name}\n${text}\n` : text.endsWith('\n') ? text : `${text}\n`);
  });
}

interface ApplyAnswer {
  readonly message: string;
  readonly diff: string;
}

/** `converge apply-config -f machine.yaml [--mode] [--dry-run]`. */
export async function applyConfigCommand(
  clients: readonly NodeClient[],
  options: { file: string; mode: string; dryRun?: boolean; tryTimeout?: number },
  out: Output,
  err: Output,
): Promise<void> {
  let config: string;
  try {
    config = options.file === '-' ? await readStdin() : await readFile(options.file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      exitCodes.usage,
    );
  }
  await onEveryNode(clients, err, async (client) => {
    const answer = await client.json<ApplyAnswer>('POST', '/v1/node/apply-config', {
      config,
      mode: options.mode,
      dryRun: options.dryRun === true,
      ...(options.tryTimeout !== undefined ? { tryTimeoutSeconds: options.tryTimeout } : {}),
    });
    if (options.dryRun) {
      for (const line of answer.diff.split('\n')) if (line !== '') out.write(`${client.name} ${line}\n`);
    }
    out.write(`${client.name} ${answer.message}\n`);
  });
}

interface HistoryEntry {
  readonly version: number;
  readonly time: string;
  readonly by: string;
  readonly mode: string;
}

/** `converge config history`: every applied config of each node. */
export async function configHistoryCommand(
  clients: readonly NodeClient[],
  out: Output,
  err: Output,
): Promise<void> {
  const rows: string[][] = [];
  await onEveryNode(clients, err, async (client) => {
    const { history } = await client.json<{ history: HistoryEntry[] }>('GET', '/v1/node/config/history');
    for (const h of history) rows.push([client.name, String(h.version), h.time, h.mode, h.by]);
  });
  printTable(['NODE', 'VERSION', 'TIME', 'MODE', 'BY'], rows, (t) => out.write(t));
}

/** `converge config diff <from> <to>`: a unified diff of two history versions. */
export async function configDiffCommand(
  clients: readonly NodeClient[],
  from: number,
  to: number,
  out: Output,
  err: Output,
): Promise<void> {
  await onEveryNode(clients, err, async (client) => {
    const { diff } = await client.json<{ diff: string }>('GET', `/v1/node/config/diff?from=${from}&to=${to}`);
    for (const line of diff.split('\n'))
      if (line !== '') out.write(clients.length > 1 ? `${client.name} ${line}\n` : `${line}\n`);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
