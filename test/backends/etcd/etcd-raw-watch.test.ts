import type { IEvent } from 'etcd3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createEtcdClient } from '../../../src/backends/etcd/client.js';
import { rangeEnd } from '../../../src/backends/etcd/keys.js';
import { OutageLog } from '../../../src/backends/etcd/outage-log.js';
import { RawWatch, type RawWatchPhase } from '../../../src/backends/etcd/raw-watch.js';
import { createVirtualClock, type VirtualClock } from '../../../src/testing/virtual-clock.js';
import { useEtcd } from './support.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const etcd = useEtcd();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls `condition` (a real etcd answers in its own time); the deadline only turns a hang into a failure. */
async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Watched {
  readonly raw: RawWatch;
  readonly proxy: TcpProxy;
  readonly clock: VirtualClock;
  readonly put: (name: string) => Promise<void>;
  /** The keys of every event delivered, in order. */
  readonly keys: string[];
  /** The phase at each `created` (acceptance) the watch reported. */
  readonly accepted: RawWatchPhase[];
  readonly failures: Error[];
  readonly log: string[];
}

/** A raw watch over a fresh prefix, through a proxy the test can cut, on a virtual clock. */
async function watched(): Promise<Watched> {
  const proxy = await startTcpProxy(etcd.server.clientPort);
  const viaProxy = createEtcdClient({ endpoints: [proxy.endpoint], callTimeoutMs: 2_000 });
  const direct = createEtcdClient({ endpoints: [etcd.server.endpoint] });
  const clock = createVirtualClock();
  const log: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => log.push(JSON.parse(line).msg) });
  const prefix = Buffer.from(`${etcd.prefix()}/`);
  const keys: string[] = [];
  const accepted: RawWatchPhase[] = [];
  const failures: Error[] = [];
  const raw: RawWatch = new RawWatch(
    viaProxy,
    prefix,
    rangeEnd(prefix),
    undefined,
    {
      created: () => accepted.push(raw.phase),
      events: (events: readonly IEvent[]) => {
        for (const e of events) keys.push(e.kv.key.toString().slice(prefix.length));
      },
      fail: (error) => failures.push(error),
    },
    clock,
    { initialMs: 100, maxMs: 400 },
    new OutageLog(logger, clock, [proxy.endpoint]),
  );
  cleanups.push(async () => {
    raw.close();
    viaProxy.close();
    direct.close();
    await proxy.close();
  });
  const put = async (name: string) => {
    await direct.put(Buffer.concat([prefix, Buffer.from(name)])).value('x');
  };
  return { raw, proxy, clock, put, keys, accepted, failures, log };
}

describe('etcd raw watch', () => {
  it('should go watching, retrying through an outage logged once, resyncing what it missed, then watching again', async () => {
    const w = await watched();
    await until(() => w.raw.phase === 'watching', 'the watch accepted');
    expect(w.accepted).toEqual(['watching']);
    await w.put('a');
    await until(() => w.keys.length === 1, 'the first event');

    w.proxy.cut();
    await until(() => w.raw.phase === 'retrying', 'the break');
    // Reconnections fail while the proxy refuses: the watch stays in its outage, logged once.
    for (const delay of [100, 200, 400]) {
      expect(w.clock.nextDue()).toBe(w.clock.now() + delay);
      await w.clock.advance(delay);
      await until(() => w.raw.phase === 'retrying' && w.clock.pending() === 1, 'a failed reconnection');
    }
    await w.put('b');
    await w.put('c');
    expect(w.log).toEqual([
      expect.stringMatching(/^etcd unreachable \(watch: .*\); retrying until it answers$/),
    ]);

    w.proxy.restore();
    await w.clock.advance(400);
    await until(() => w.keys.length === 3 && w.raw.phase === 'watching', 'the missed events, then watching');
    expect(w.accepted).toEqual(['watching', 'resyncing']);
    expect(w.keys).toEqual(['a', 'b', 'c']);
    expect(w.log).toHaveLength(2);
    expect(w.log[1]).toMatch(/^etcd reachable again after 1100 ms$/);
    await w.put('d');
    await until(() => w.keys.length === 4, 'a live event after the resync');
    expect(w.failures).toEqual([]);
  }, 60_000);

  it('should stay closed when closed while retrying: no timer left, no reconnection, nothing delivered', async () => {
    const w = await watched();
    await until(() => w.raw.phase === 'watching', 'the watch accepted');
    w.proxy.cut();
    await until(() => w.raw.phase === 'retrying', 'the break');
    expect(w.clock.pending()).toBe(1);
    w.raw.close();
    expect(w.raw.phase).toBe('closed');
    expect(w.clock.pending()).toBe(0);
    w.proxy.restore();
    await w.put('late');
    await w.clock.advance(10_000);
    await expect(w.raw.reached(Number.MAX_SAFE_INTEGER)).resolves.toBeUndefined();
    expect(w.raw.phase).toBe('closed');
    expect(w.accepted).toEqual(['watching']);
    expect(w.keys).toEqual([]);
  }, 30_000);
});
