import { afterAll, describe, expect, it } from 'vitest';
import { createRemoteState } from '../../src/api/remote-state.js';
import type { AnyResource } from '../../src/runtime/resource/resource.js';
import type { State } from '../../src/runtime/state/state.js';
import { type ChildServer, startChildServer } from '../api/helpers/child-server.js';
import { Items, testCertificates } from '../api/helpers/fixture.js';

/**
 * The load figure: 100 watch streams and 1,000 writes per second for 30 seconds against a
 * server in another process. Every phase has a deadline, so the test ends by itself.
 */
const watchers = 100;
const ratePerSecond = 1_000;
const durationMs = 30_000;
const ids = 200;
const maxInFlight = 64;

/** One watcher's view: id → version, and when it last heard anything. */
interface View {
  readonly versions: Map<string, number>;
  events: number;
  lastEventAt: number;
  longestGapMs: number;
  error: unknown;
  bootstrapped: boolean;
}

let server: ChildServer | undefined;
let client: State | undefined;

afterAll(async () => {
  await client?.close?.();
  await server?.stop();
});

describe('api under load', () => {
  it('should keep 100 watchers equal to list() under 1,000 writes per second for 30 seconds, with bounded memory', {
    timeout: 150_000,
  }, async ({ annotate }) => {
    const certs = await testCertificates();
    server = await startChildServer(certs);
    client = createRemoteState({
      url: server.url,
      tls: { ca: certs.ca.cert, ...certs.clients.admin },
      maxSockets: maxInFlight,
    });
    const state = client;

    const stored = new Map<string, AnyResource | undefined>();
    for (let i = 0; i < ids; i++)
      stored.set(`item-${i}`, await state.create(Items.make(`item-${i}`, { value: 0 })));

    const views: View[] = [];
    const subscriptions = [];
    for (let w = 0; w < watchers; w++) {
      const view: View = {
        versions: new Map(),
        events: 0,
        lastEventAt: Date.now(),
        longestGapMs: 0,
        error: undefined,
        bootstrapped: false,
      };
      views.push(view);
      subscriptions.push(
        state.watchKind(Items.kind(), { bootstrapContents: true }).subscribe({
          next(event) {
            const now = Date.now();
            if (view.bootstrapped) view.longestGapMs = Math.max(view.longestGapMs, now - view.lastEventAt);
            view.lastEventAt = now;
            view.events++;
            if (event.type === 'bootstrapped') view.bootstrapped = true;
            else if (event.type === 'created' || event.type === 'updated') {
              view.versions.set(event.resource.metadata.id, event.resource.metadata.version);
            } else if (event.type === 'destroyed') view.versions.delete(event.resource.metadata.id);
          },
          error(error: unknown) {
            view.error = error;
          },
        }),
      );
    }
    await until(
      () => views.every((v) => v.bootstrapped || v.error !== undefined),
      'every watcher bootstrapped',
      30_000,
    );
    expect(views.filter((v) => v.error !== undefined).map((v) => String(v.error))).toEqual([]);

    // A steady writer: at every tick it catches up with rate × elapsed, never more than maxInFlight at once.
    const baseline = await server.memory();
    const samples: number[] = [];
    let issued = 0;
    let done = 0;
    let failed: unknown;
    let inFlight = 0;
    // Each id has at most one write open, so the writer never conflicts with itself.
    const busy = new Set<string>();
    const write = async (n: number, id: string) => {
      const current = stored.get(id);
      let next: AnyResource | undefined;
      if (current === undefined) next = await state.create(Items.make(id, { value: n }));
      else if (n % 97 === 0) await state.destroy(Items.pointer(id));
      else next = await state.update({ ...current, spec: { ...current.spec, value: n } });
      stored.set(id, next);
    };
    const start = Date.now();
    let nextSample = start + 5_000;
    while (Date.now() - start < durationMs && failed === undefined) {
      const due = Math.floor(((Date.now() - start) / 1000) * ratePerSecond);
      while (issued < due && inFlight < maxInFlight) {
        const n = issued++;
        let k = n % ids;
        while (busy.has(`item-${k}`)) k = (k + 1) % ids;
        const id = `item-${k}`;
        busy.add(id);
        inFlight++;
        write(n, id).then(
          () => {
            busy.delete(id);
            inFlight--;
            done++;
          },
          (error: unknown) => {
            busy.delete(id);
            inFlight--;
            failed = error;
          },
        );
      }
      if (Date.now() >= nextSample) {
        nextSample += 5_000;
        samples.push((await server.memory()).heapUsed);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => inFlight === 0, 'the last writes', 30_000);
    const elapsedS = (Date.now() - start) / 1000;
    expect(failed).toBeUndefined();

    const expected = new Map(
      (await state.list(Items.kind())).map((r) => [r.metadata.id, r.metadata.version]),
    );
    const same = (v: View) =>
      v.versions.size === expected.size && [...expected].every(([id, ver]) => v.versions.get(id) === ver);
    await until(
      () => views.every((v) => same(v) || v.error !== undefined),
      'every watcher to catch up with list()',
      60_000,
    );
    for (const s of subscriptions) s.unsubscribe();
    const final = await server.memory();

    const rate = done / elapsedS;
    const report = {
      writesPerSecond: Math.round(rate),
      eventsDelivered: views.reduce((a, v) => a + v.events, 0),
      longestGapMs: Math.max(...views.map((v) => v.longestGapMs)),
      heapMiB: [baseline.heapUsed, ...samples, final.heapUsed].map((b) => Math.round(b / 2 ** 20)),
    };
    await annotate(`load: ${JSON.stringify(report)}`);
    expect(views.filter((v) => v.error !== undefined).map((v) => String(v.error))).toEqual([]);
    expect(views.every(same)).toBe(true);
    // The writer offers 1,000 writes/s; what a shared 2-core machine achieves is a benchmark figure
    // (`npm run bench -- api`), so only a pathological slowdown fails here.
    expect(rate, JSON.stringify(report)).toBeGreaterThan(ratePerSecond * 0.1);
    // No stream stalled while the writes went on.
    expect(report.longestGapMs, JSON.stringify(report)).toBeLessThan(10_000);
    // The server's heap stays bounded: history rings are capped and slow streams pause at their bookmark.
    expect(Math.max(...samples, final.heapUsed), JSON.stringify(report)).toBeLessThan(
      baseline.heapUsed + 96 * 2 ** 20,
    );
  });
});

async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
