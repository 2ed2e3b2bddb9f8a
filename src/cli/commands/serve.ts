import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { createApiServer } from '../../api/server.js';
import { createState } from '../../runtime/state/create-state.js';
import type { State } from '../../runtime/state/state.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { parseListen, untilSignal } from '../listen.js';
import {
  followStoredDefinitions,
  optionsOf,
  publishDefinition,
  registerDefinition,
} from '../serve/definition-registry.js';
import { loadTypes } from '../serve/load-types.js';
import type { Output } from './output-sink.js';

/** Options of `converge serve`. */
export interface ServeOptions {
  /** `host:port` to listen on. */
  listen: string;
  /** The directory `converge gen certs` wrote: `ca.crt`, `server.crt`, `server.key`. */
  certs: string;
  /** etcd client URLs, comma-separated; the in-memory store when absent. */
  etcd?: string;
  /** The key prefix of the store in etcd. */
  etcdPrefix: string;
  /** Modules exporting resource definitions. */
  types: readonly string[];
  /** pino level of the log on stderr. */
  logLevel: string;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readCert(dir: string, name: string): string {
  const path = join(resolve(dir), name);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        'point --certs at the directory `converge gen certs --out` wrote',
      exitCodes.usage,
    );
  }
}

async function openState(options: ServeOptions, logger: pino.Logger): Promise<State> {
  if (options.etcd === undefined) return createState({ logger });
  const endpoints = options.etcd
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new CliError('--etcd must list etcd client URLs', exitCodes.usage);
  const { createEtcdState } = await import('../../backends/etcd/etcd-state.js');
  return createEtcdState({ endpoints, prefix: options.etcdPrefix, logger });
}

/**
 * `converge serve`: the API server over the in-memory store or etcd, with the types of `--types`
 * modules and those added at run time as `ResourceDefinitions` with a JSON Schema. Runs until
 * SIGINT or SIGTERM; every request is logged on stderr.
 */
export async function serveCommand(options: ServeOptions, out: Output): Promise<void> {
  if (!levels.includes(options.logLevel)) {
    throw new CliError(`--log-level must be one of ${levels.join(', ')}`, exitCodes.usage);
  }
  const { host, port } = parseListen(options.listen);
  const tls = {
    ca: readCert(options.certs, 'ca.crt'),
    cert: readCert(options.certs, 'server.crt'),
    key: readCert(options.certs, 'server.key'),
  };
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const definitions = [];
  for (const file of options.types) definitions.push(...(await loadTypes(file)));
  const state = await openState(options, logger);
  const stored = followStoredDefinitions(
    state,
    new Set(definitions.map((d) => d.type)),
    logger.child({ component: 'definitions' }),
  );
  const server = createApiServer({ state, tls, host, port, logger });
  try {
    for (const definition of definitions) {
      await publishDefinition(state, registerDefinition(state, optionsOf(definition)));
    }
    await stored.ready;
    const url = await server.listen();
    const backend = options.etcd === undefined ? 'the in-memory store' : `etcd ${options.etcd}`;
    out.write(`serving ${backend} on ${url}\n`);
    logger.info({ url, types: definitions.map((d) => d.type) }, 'API server listening');
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping');
  } finally {
    stored.stop();
    await server.close();
    await state.close?.();
  }
}
