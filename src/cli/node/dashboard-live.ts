/**
 * The dashboard's multiplexed stream: many node streams over one response, since a browser holds
 * at most six HTTP/1.1 connections per origin and each node's card follows five streams. Each line
 * names its stream `s` (its index in the request) and says `open`, `item`, `lost` or `missing`;
 * a lost stream is reopened here with a backoff, so one node that is down leaves the others be.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../runtime/clock.js';
import type { ForwardTarget } from './dashboard-forwarding.js';
import type { NodeUpstream } from './dashboard-upstream.js';

/** A slow reader is cut off once this much output waits for it. */
const maxBufferedBytes = 8 * 1024 * 1024;
/** A node's line longer than this ends the stream. */
const maxLineBytes = 16 * 1024 * 1024;
/** What an error answer's body may be, read for its message. */
const maxErrorBodyBytes = 64 * 1024;

type LiveMessage =
  | { readonly s: number; readonly open: true }
  | { readonly s: number; readonly item: unknown }
  | { readonly s: number; readonly lost: string }
  | { readonly s: number; readonly missing: true };

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const handle = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(handle);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** The message of an error answer: the API's `{ error: { message } }`, else the status. */
async function errorMessage(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > maxErrorBodyBytes) break;
  }
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not the API's error shape: the status says enough
  }
  return `HTTP ${res.statusCode}`;
}

/** Calls `onItem` for each NDJSON line of `res` until it ends. */
async function readItems(res: IncomingMessage, onItem: (item: unknown) => void): Promise<void> {
  let buffer = '';
  for await (const chunk of res) {
    buffer += (chunk as Buffer).toString('utf8');
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.trim() !== '') onItem(JSON.parse(line));
    }
    if (buffer.length > maxLineBytes) throw new Error('a line of the stream is too long');
  }
}

/** Keeps one stream of the multiplexed response open until `signal` aborts. */
async function followOne(
  index: number,
  target: ForwardTarget,
  upstream: NodeUpstream,
  send: (message: LiveMessage) => void,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const res = await upstream.get(target.path, signal, 'application/x-ndjson');
      const status = res.statusCode ?? 0;
      if (status === 404) {
        res.resume();
        send({ s: index, missing: true });
        return;
      }
      if (status < 200 || status >= 300) throw new Error(`${upstream.name}: ${await errorMessage(res)}`);
      send({ s: index, open: true });
      attempt = 0;
      await readItems(res, (item) => {
        if ((item as { type?: unknown }).type !== 'heartbeat') send({ s: index, item });
      });
      if (!signal.aborted) send({ s: index, lost: `${upstream.name}: the stream ended` });
    } catch (error) {
      if (!signal.aborted) send({ s: index, lost: (error as Error).message });
    }
    await sleep(clock, Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)), signal);
  }
}

/** Answers a multiplexed request: every stream of `targets` until the client goes away. */
export function serveLive(
  res: ServerResponse,
  targets: readonly ForwardTarget[],
  upstreams: ReadonlyMap<string, NodeUpstream>,
  clock: Clock,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, {
    'content-type': 'application/x-ndjson',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  const send = (message: LiveMessage) => {
    if (abort.signal.aborted) return;
    if (res.writableLength > maxBufferedBytes) {
      res.destroy(new Error('the dashboard reads too slowly'));
      return;
    }
    res.write(`${JSON.stringify(message)}\n`);
  };
  return Promise.all(
    targets.map((target, i) => followOne(i, target, upstreams.get(target.node)!, send, clock, abort.signal)),
  ).then(() => {
    // Every stream was missing: nothing more will come.
    if (!abort.signal.aborted) res.end();
  });
}
