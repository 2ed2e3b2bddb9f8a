/**
 * The kernel's change stream inside a namespace: `ip -o monitor label link address route`, spawned
 * while someone listens, parsed line by line, restarted with backoff if it dies, killed on close.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { NetworkChange } from '../network.js';
import { ipCommand, iproute2Install } from './run-ip.js';

const restartMinMs = 500;
const restartMaxMs = 30_000;
/** How long after a (re)start the monitor announces a resync, covering events lost while it started. */
const resyncDelayMs = 100;

/** The changes one monitor line stands for; the kernel flushes routes silently, so links and addresses imply routes. */
export function changesOfMonitorLine(line: string): NetworkChange[] {
  const match = /^\[(LINK|ADDR|ROUTE)\](?:Deleted )?(.*)$/.exec(line);
  if (match === null) return [];
  const [, label, rest = ''] = match;
  if (label === 'ROUTE') {
    if (/\btable local\b/.test(rest) || /^(local|broadcast|multicast|anycast) /.test(rest)) return [];
    const dev = /\bdev (\S+)/.exec(rest)?.[1];
    return [dev === undefined ? { kind: 'route' } : { kind: 'route', linkName: dev }];
  }
  // "7: eth0@peer: <...>" for links, "7: eth0    inet ..." for addresses.
  const name = /^\d+: ([^\s:@]+)/.exec(rest)?.[1];
  const kind = label === 'LINK' ? 'link' : 'address';
  if (name === undefined) return [{ kind }, { kind: 'route' }];
  return [
    { kind, linkName: name },
    { kind: 'route', linkName: name },
  ];
}

/** Options of {@link monitorNetns}. */
export interface MonitorOptions {
  readonly netns: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * A cold stream of the namespace's changes: each subscription runs one `ip monitor`. On every
 * (re)start it emits one change of each kind (no link name) shortly after, since events that
 * happen while the monitor starts are lost.
 */
export function monitorNetns(options: MonitorOptions): Observable<NetworkChange> {
  const { netns, clock, logger } = options;
  return new Observable<NetworkChange>((subscriber) => {
    let child: ChildProcess | undefined;
    // Two timers: the resync after a start must not be lost to a restart scheduled meanwhile.
    let resyncTimer: TimerHandle | undefined;
    let restartTimer: TimerHandle | undefined;
    let stopped = false;
    let failures = 0;

    const resync = () => {
      resyncTimer = clock.setTimeout(() => {
        resyncTimer = undefined;
        if (stopped) return;
        for (const kind of ['link', 'address', 'route'] as const) subscriber.next({ kind });
      }, resyncDelayMs);
    };

    const start = () => {
      const proc = spawn(ipCommand, ['-n', netns, '-o', 'monitor', 'label', 'link', 'address', 'route'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      child = proc;
      let stderr = '';
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (chunk: string) => {
        if (stderr.length < 4096) stderr += chunk;
      });
      const lines = createInterface({ input: proc.stdout! });
      lines.on('line', (line) => {
        failures = 0;
        for (const change of changesOfMonitorLine(line)) subscriber.next(change);
      });
      proc.on('spawn', resync);
      proc.on('error', (error) =>
        logger.error({ err: error, netns, install: iproute2Install }, 'ip monitor could not start'),
      );
      proc.on('close', (code, signal) => {
        if (stopped || child !== proc) return;
        child = undefined;
        failures++;
        const delay = Math.min(restartMaxMs, restartMinMs * 2 ** (failures - 1));
        // One line per streak of failures, not one per restart.
        if (failures === 1)
          logger.warn({ netns, code, signal, stderr: stderr.trim() }, 'ip monitor exited; restarting');
        restartTimer = clock.setTimeout(() => {
          restartTimer = undefined;
          if (!stopped) start();
        }, delay);
      });
    };

    start();
    return () => {
      stopped = true;
      if (resyncTimer !== undefined) clock.clearTimeout(resyncTimer);
      if (restartTimer !== undefined) clock.clearTimeout(restartTimer);
      child?.kill('SIGTERM');
      child = undefined;
    };
  });
}
