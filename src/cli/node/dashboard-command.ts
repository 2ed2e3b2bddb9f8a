/**
 * `converge dashboard --serve`: runs the cluster-wide dashboard on loopback until Ctrl-C or
 * SIGTERM, printing its URL first and a one-line summary at the end.
 */
import { isIP } from 'node:net';
import { pino } from 'pino';
import type { ApiTlsOptions } from '../../api/server.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { parseListen, untilSignal } from '../listen.js';
import { createDashboardServer } from './dashboard-server.js';

/** The flags of `converge dashboard --serve`. */
export interface DashboardServeFlags {
  /** `host:port` on loopback. */
  readonly listen: string;
  readonly logLevel: string;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Whether `host` is a loopback address (the server forwards with the config's certificate). */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Serves the dashboard of `nodes` until a signal; resolves once everything stopped. */
export async function dashboardServeCommand(
  nodes: readonly { readonly name: string; readonly endpoint: string }[],
  tls: ApiTlsOptions,
  flags: DashboardServeFlags,
  out: Output,
): Promise<void> {
  if (!levels.includes(flags.logLevel)) {
    throw new CliError(`--log-level must be one of ${levels.join(', ')}`, exitCodes.usage);
  }
  const { host, port } = parseListen(flags.listen);
  if (!isLoopback(host)) {
    throw new CliError(
      `--listen must be a loopback address (127.x.x.x, ::1 or localhost), got ${JSON.stringify(host)}: the dashboard reaches the nodes with your client certificate`,
      exitCodes.usage,
    );
  }
  const names = nodes.map((n) => n.name);
  if (new Set(names).size !== names.length) {
    throw new CliError(`the nodes must have distinct names, got ${names.join(', ')}`, exitCodes.usage);
  }
  const logger = pino({ level: flags.logLevel }, pino.destination(2));
  const server = createDashboardServer({ nodes, tls, host, port, logger });
  const started = Date.now();
  let url: string;
  try {
    url = await server.listen();
  } catch (error) {
    await server.close();
    throw new CliError(`cannot listen on ${flags.listen}: ${(error as Error).message}`, exitCodes.usage);
  }
  out.write(`dashboard of ${nodes.length} node(s) (${names.join(', ')}) on ${url} (Ctrl-C stops it)\n`);
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping the dashboard');
  await server.close();
  const { answered, refused, failed } = server.stats;
  const down = server.unreachable();
  out.write(
    `dashboard stopped after ${((Date.now() - started) / 1_000).toFixed(1)} s: ${answered} request(s) answered, ${refused} refused, ${failed} failed` +
      (down.length > 0 ? `; unreachable at the end: ${down.join(', ')}` : '') +
      '\n',
  );
}
