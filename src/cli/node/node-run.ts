/**
 * `converge node run`: one node as a process until SIGTERM or SIGINT (or a shutdown through its
 * API); prints its API URL and, for a node with a CA of its own, where the admin certificate is.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { startNodeDaemon } from '../../node/daemon/node-daemon.js';
import type { Output } from '../commands/output-sink.js';
import { CliError, exitCodes } from '../exit-codes.js';

/** The flags of `converge node run`. */
export interface NodeRunFlags {
  readonly config: string;
  readonly stateDir: string;
  readonly address: string;
  readonly port: number;
  readonly platform: string;
  readonly netns?: string;
  readonly caDir?: string;
  readonly logLevel: string;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Runs the node until a signal or a shutdown; resolves once everything stopped. */
export async function nodeRunCommand(flags: NodeRunFlags, out: Output): Promise<void> {
  if (!levels.includes(flags.logLevel)) {
    throw new CliError(`--log-level must be one of ${levels.join(', ')}`, exitCodes.usage);
  }
  if (flags.platform !== 'simulated' && flags.platform !== 'linux') {
    throw new CliError('--platform must be simulated or linux', exitCodes.usage);
  }
  if (flags.platform === 'linux' && flags.netns === undefined) {
    throw new CliError('--platform linux needs --netns <name>', exitCodes.usage);
  }
  const logger = pino({ level: flags.logLevel }, pino.destination(2));
  const daemon = await startNodeDaemon({
    configPath: flags.config,
    stateDir: flags.stateDir,
    address: flags.address,
    port: flags.port,
    platform: flags.platform,
    logger,
    ...(flags.netns !== undefined ? { netns: flags.netns } : {}),
    ...(flags.caDir !== undefined ? { caDir: flags.caDir } : {}),
  });
  out.write(`node ${flags.address} serving on ${daemon.url}\n`);
  if (daemon.pki.adminFiles !== undefined) {
    out.write(
      `admin certificate: ${daemon.pki.adminFiles.cert} (key ${daemon.pki.adminFiles.key}, CA ${join(flags.stateDir, 'pki', 'ca.crt')})\n`,
    );
  }
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping the node');
    void daemon.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const why = await daemon.stopped;
    logger.info({ why }, 'node stopped');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
