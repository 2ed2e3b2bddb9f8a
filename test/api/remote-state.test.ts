import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteState } from '../../src/api/remote-state.js';
import { createApiServer } from '../../src/api/server.js';
import {
  isConflictError,
  isInvalidBookmarkError,
  isNotFoundError,
  isOwnerConflictError,
  isPhaseConflictError,
  isValidationError,
} from '../../src/runtime/errors.js';
import { createState } from '../../src/runtime/state/create-state.js';
import { label } from '../../src/runtime/state/label-query.js';
import type { State } from '../../src/runtime/state/state.js';
import type { WatchEvent } from '../../src/runtime/state/watch-event.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { Items, startTestServer, type TestServer, testCertificates } from './helpers/fixture.js';
import { brief, type Recorded, record, waitFor } from './helpers/recorder.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const t = await startTestServer(options);
  cleanups.push(() => t.close());
  return t;
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy(port);
  cleanups.push(() => proxy.close());
  return proxy;
}

function recorded<T>(r: Recorded<T>): Recorded<T> {
  cleanups.push(() => r.stop());
  return r;
}

/** Runs the same failing call on the store and over the API: same class, code, pointer and message. */
async function sameError(
  local: () => Promise<unknown>,
  remote: () => Promise<unknown>,
  guard: (e: unknown) => boolean,
) {
  const a = await local().then(
    () => undefined,
    (e: unknown) => e,
  );
  const b = await remote().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(guard(a)).toBe(true);
  expect(guard(b)).toBe(true);
  const pick = (e: unknown) => {
    const x = e as {
      name: string;
      code: string;
      message: string;
      pointer: { namespace: string; type: string; id?: string };
    };
    const { namespace, type, id } = x.pointer;
    return { name: x.name, code: x.code, message: x.message, pointer: { namespace, type, id } };
  };
  expect(pick(b)).toEqual(pick(a));
}

describe('createRemoteState', () => {
  it('should read and write over the API with the store’s results', async () => {
    const t = await server();
    const remote = t.client('admin');
    const created = await remote.create(Items.make('a', { value: 1 }, { labels: { tier: 'web' } }), {
      owner: 'ctl',
    });
    expect(created).toEqual(await t.state.get(Items.pointer('a')));
    expect(Object.isFrozen(created) && Object.isFrozen(created.metadata)).toBe(true);
    const updated = await remote.update({ ...created, spec: { value: 2, note: 'n' } }, { owner: 'ctl' });
    expect(updated.metadata.version).toBe(2);
    await remote.create(Items.make('b', { value: 3 }));
    expect(
      (await remote.list(Items.kind(), { labelQuery: [label.equal('tier', 'web')] })).map(
        (r) => r.metadata.id,
      ),
    ).toEqual(['a']);
    expect((await remote.list(Items.kind(), { idQuery: /^B$/i })).map((r) => r.metadata.id)).toEqual(['b']);
    const results = await remote.transaction([
      { op: 'destroy', pointer: Items.pointer('b') },
      { op: 'create', resource: Items.make('c', { value: 4 }) },
    ]);
    expect(results[0]).toBeNull();
    expect(results[1]?.metadata.version).toBe(1);
    expect((await t.state.list(Items.kind())).map((r) => r.metadata.id)).toEqual(['a', 'c']);
    expect(await remote.teardown(Items.pointer('a'), { owner: 'ctl' })).toBe(true);
    await remote.destroy(Items.pointer('a'), { owner: 'ctl' });
    await expect(t.state.get(Items.pointer('a'))).rejects.toSatisfy(isNotFoundError);
  });

  it('should throw the same error classes, codes, pointers and messages as the store', async () => {
    const t = await server();
    const remote = t.client('admin');
    const stored = await t.state.create(Items.make('a', { value: 1 }), { owner: 'ctl' });
    await sameError(
      () => t.state.get(Items.pointer('zz')),
      () => remote.get(Items.pointer('zz')),
      isNotFoundError,
    );
    await sameError(
      () => t.state.create(Items.make('a', { value: 1 })),
      () => remote.create(Items.make('a', { value: 1 })),
      isConflictError,
    );
    await sameError(
      () => t.state.update(stored),
      () => remote.update(stored),
      isOwnerConflictError,
    );
    const stale = { ...stored, metadata: { ...stored.metadata, version: 7 } };
    await sameError(
      () => t.state.update(stale, { owner: 'ctl' }),
      () => remote.update(stale, { owner: 'ctl' }),
      (e) => isConflictError(e) && !isOwnerConflictError(e),
    );
    await t.state.teardown(Items.pointer('a'), { owner: 'ctl' });
    const torn = await t.state.get(Items.pointer('a'));
    await sameError(
      () => t.state.update(torn, { owner: 'ctl' }),
      () => remote.update(torn, { owner: 'ctl' }),
      isPhaseConflictError,
    );
    await t.state.addFinalizer(Items.pointer('a'), 'f');
    await sameError(
      () => t.state.destroy(Items.pointer('a'), { owner: 'ctl' }),
      () => remote.destroy(Items.pointer('a'), { owner: 'ctl' }),
      isConflictError,
    );
    const invalid = { ...Items.make('v', { value: 1 }), spec: { value: 'x' } } as never;
    await sameError(
      () => t.state.create(invalid),
      () => remote.create(invalid),
      isValidationError,
    );
  });

  it('should resume every kind of watch after dropped connections, delivering each change exactly once', async () => {
    const t = await server();
    const proxy = await proxyTo(t.server.port);
    const { ca, clients } = await testCertificates();
    const remote = createRemoteState({
      url: proxy.url,
      tls: { ca: ca.cert, ...clients.admin },
      watchRetry: { minBackoffMs: 1, maxBackoffMs: 20 },
    });
    cleanups.push(() => remote.close?.());
    await t.state.create(Items.make('k0', { value: 0 }));
    const reference = recorded(record(t.state.watchKind(Items.kind())));
    const kind = recorded(record(remote.watchKind(Items.kind())));
    const aggregated = recorded(record(remote.watchKindAggregated(Items.kind())));
    const boot = recorded(record(remote.watchKind(Items.kind(), { bootstrapContents: true })));
    const one = recorded(record(remote.watch(Items.pointer('k3'))));
    await waitFor(() => t.server.stats().watches === 4, 'four watches on the server');
    await t.state.create(Items.make('k1', { value: 1 }));
    await waitFor(
      () =>
        kind.items.length === 1 &&
        aggregated.items.length === 1 &&
        boot.items.length === 3 &&
        one.items.length === 1,
      'the first event everywhere',
    );
    let cuts = 0;
    for (let i = 0; i < 300; i++) {
      const id = `k${i % 7}`;
      const current = await t.state.get(Items.pointer(id)).catch(() => undefined);
      if (current === undefined) await t.state.create(Items.make(id, { value: i }));
      else if (i % 11 === 0) await t.state.destroy(Items.pointer(id));
      else await t.state.update({ ...current, spec: { ...current.spec, value: i } });
      if (i % 37 === 0) {
        proxy.cut();
        cuts++;
      }
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    const expected = reference.items.map(brief);
    const flat = () => aggregated.items.flat();
    await waitFor(
      () =>
        kind.items.length >= expected.length &&
        flat().length >= expected.length &&
        boot.items.length >= expected.length + 2,
      'every event on every remote watch',
    );
    expect(cuts).toBeGreaterThan(5);
    expect(proxy.connections).toBeGreaterThan(8);
    expect(kind.items.map(brief)).toEqual(expected);
    expect(flat().map(brief)).toEqual(expected);
    expect(boot.items.slice(0, 2).map((e) => e.type)).toEqual(['created', 'bootstrapped']);
    expect(boot.items.slice(2).map(brief)).toEqual(expected);
    const forK3 = reference.items
      .filter((e) => 'resource' in e && e.resource.metadata.id === 'k3')
      .map(brief);
    await waitFor(() => one.items.length >= forK3.length + 1, 'every event of k3');
    expect(one.items[0]).toMatchObject({ type: 'destroyed', resource: { spec: null } });
    expect(one.items.slice(1).map(brief)).toEqual(forK3);
    for (const r of [kind, aggregated, boot, one]) expect(r.error).toBeUndefined();
  });

  it('should resume after a server restart, delivering what changed while it was down', async () => {
    const { ca, server: serverPair, clients } = await testCertificates();
    const state = createState();
    const tls = { ca: ca.cert, ...serverPair };
    let api = createApiServer({ state, tls });
    const url = await api.listen();
    cleanups.push(() => api.close());
    const remote = createRemoteState({
      url,
      tls: { ca: ca.cert, ...clients.reader },
      watchRetry: { minBackoffMs: 1, maxBackoffMs: 20 },
    });
    cleanups.push(() => remote.close?.());
    const reference = recorded(record(state.watchKind(Items.kind())));
    const kind = recorded(record(remote.watchKind(Items.kind())));
    const one = recorded(record(remote.watch(Items.pointer('a'))));
    await waitFor(() => api.stats().watches === 2, 'two watches');
    await state.create(Items.make('a', { value: 1 }));
    await waitFor(() => kind.items.length === 1 && one.items.length === 2, 'the first change');
    await api.close();
    const a = await state.get(Items.pointer('a'));
    await state.update({ ...a, spec: { ...a.spec, value: 2 } });
    await state.create(Items.make('b', { value: 1 }));
    api = createApiServer({ state, tls, port: new URL(url).port === '' ? 0 : Number(new URL(url).port) });
    await api.listen();
    await state.destroy(Items.pointer('b'));
    const expected = reference.items.map(brief);
    await waitFor(
      () => kind.items.length >= expected.length && one.items.length >= 3,
      'the changes made while down',
    );
    expect(kind.items.map(brief)).toEqual(expected);
    expect(one.items.map((e) => `${e.type} ${'resource' in e ? e.resource.metadata.version : ''}`)).toEqual([
      'destroyed 0',
      'created 1',
      'updated 2',
    ]);
  });

  it('should error a resumed watch with InvalidBookmarkError when the server comes back with another store', async () => {
    const { ca, server: serverPair, clients } = await testCertificates();
    const tls = { ca: ca.cert, ...serverPair };
    const first = createState();
    let api = createApiServer({ state: first, tls });
    const url = await api.listen();
    cleanups.push(() => api.close());
    const remote = createRemoteState({
      url,
      tls: { ca: ca.cert, ...clients.reader },
      watchRetry: { minBackoffMs: 1, maxBackoffMs: 20 },
    });
    cleanups.push(() => remote.close?.());
    const kind = recorded(record(remote.watchKind(Items.kind())));
    await waitFor(() => api.stats().watches === 1, 'the watch');
    await first.create(Items.make('a', { value: 1 }));
    await waitFor(() => kind.items.length === 1, 'the first event');
    await api.close();
    api = createApiServer({ state: createState(), tls, port: Number(new URL(url).port) });
    await api.listen();
    await waitFor(() => kind.error !== undefined, 'the error');
    expect(isInvalidBookmarkError(kind.error)).toBe(true);
  });

  it('should notice a silent stall, drop the connection and resume', async () => {
    const t = await server();
    const proxy = await proxyTo(t.server.port);
    const clock = createVirtualClock();
    const { ca, clients } = await testCertificates();
    const remote = createRemoteState({
      url: proxy.url,
      tls: { ca: ca.cert, ...clients.admin },
      clock,
      watchRetry: { minBackoffMs: 10, stallTimeoutMs: 1_000 },
    });
    cleanups.push(() => remote.close?.());
    const kind = recorded(record(remote.watchKind(Items.kind())));
    await waitFor(() => t.server.stats().watches === 1, 'the watch');
    await t.state.create(Items.make('a', { value: 1 }));
    await waitFor(() => kind.items.length === 1, 'the first event');
    proxy.freeze();
    await t.state.create(Items.make('b', { value: 1 }));
    await clock.advance(1_000);
    await clock.advance(10);
    await waitFor(() => kind.items.length === 2, 'the event written during the stall');
    expect(kind.items.map((e: WatchEvent) => e.type === 'created' && e.resource.metadata.id)).toEqual([
      'a',
      'b',
    ]);
    expect(proxy.connections).toBe(2);
  });

  it('should stop a watch closed during its backoff: no timer left, no reconnection', async () => {
    const t = await server();
    const proxy = await proxyTo(t.server.port);
    const clock = createVirtualClock();
    const { ca, clients } = await testCertificates();
    const remote = createRemoteState({
      url: proxy.url,
      tls: { ca: ca.cert, ...clients.admin },
      clock,
      watchRetry: { minBackoffMs: 1_000, stallTimeoutMs: 60_000 },
    });
    cleanups.push(() => remote.close?.());
    const left = record(remote.watchKind(Items.kind()));
    const closed = record(remote.watchKind(Items.kind()));
    await waitFor(() => t.server.stats().watches === 2, 'the watches');
    await t.state.create(Items.make('a', { value: 1 }));
    await waitFor(() => left.items.length === 1 && closed.items.length === 1, 'the first event');
    const connections = proxy.connections;
    proxy.cut();
    // Both in backoff: their stall timers gone, one retry timer each, due after the first backoff.
    await waitFor(
      () => clock.pending() === 2 && clock.nextDue() === clock.now() + 1_000,
      'both watches in backoff',
    );
    left.stop();
    expect(clock.pending()).toBe(1);
    await remote.close?.();
    expect(closed.completed).toBe(true);
    expect(clock.pending()).toBe(0);
    await clock.advance(10_000);
    expect(proxy.connections).toBe(connections);
    expect(left.error ?? closed.error).toBeUndefined();
  });

  it('should error a watch whose bookmark the server no longer has when it reconnects, without retrying', async () => {
    const state = createState({ history: { initialCapacity: 4, maxCapacity: 4, gap: 0 } });
    const t = await server({ state });
    const proxy = await proxyTo(t.server.port);
    const clock = createVirtualClock();
    const { ca, clients } = await testCertificates();
    const remote = createRemoteState({
      url: proxy.url,
      tls: { ca: ca.cert, ...clients.admin },
      clock,
      watchRetry: { minBackoffMs: 1_000, stallTimeoutMs: 60_000 },
    });
    cleanups.push(() => remote.close?.());
    const kind = recorded(record(remote.watchKind(Items.kind())));
    await waitFor(() => t.server.stats().watches === 1, 'the watch');
    await state.create(Items.make('a', { value: 1 }));
    await waitFor(() => kind.items.length === 1, 'the first event');
    const connections = proxy.connections;
    proxy.cut();
    await waitFor(() => clock.nextDue() === clock.now() + 1_000, 'the backoff');
    for (let i = 0; i < 10; i++) await state.create(Items.make(`b${i}`, { value: i }));
    await clock.advance(1_000);
    await waitFor(() => kind.error !== undefined, 'the error');
    expect(isInvalidBookmarkError(kind.error)).toBe(true);
    expect(kind.items).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    expect(proxy.connections).toBe(connections + 1);
  });

  it('should error a watch at once when the server refuses the certificate', async () => {
    const t = await server();
    const { ca, foreign } = t.certs;
    const remote = createRemoteState({ url: t.url, tls: { ca: ca.cert, ...foreign } });
    cleanups.push(() => remote.close?.());
    const kind = recorded(record(remote.watchKind(Items.kind())));
    await waitFor(() => kind.error !== undefined, 'the error');
    expect(kind.error).toMatchObject({ status: 0, code: 'CertificateRefused' });
  });

  it('should give up on an unreachable server after maxRetryMs of the injected clock', async () => {
    const clock = createVirtualClock();
    const { ca, clients } = await testCertificates();
    const remote = createRemoteState({
      url: 'https://127.0.0.1:1',
      tls: { ca: ca.cert, ...clients.reader },
      clock,
      watchRetry: { minBackoffMs: 100, maxBackoffMs: 400, maxRetryMs: 2_000 },
    });
    cleanups.push(() => remote.close?.());
    const kind = recorded(record(remote.watchKind(Items.kind())));
    let attempts = 0;
    while (kind.error === undefined && attempts++ < 100) {
      // Let the refused connection come back, then move time to the next retry.
      await new Promise((r) => setTimeout(r, 5));
      await clock.advance(100);
    }
    expect(kind.error).toMatchObject({ status: 0, code: 'Unavailable' });
    expect(String((kind.error as Error).message)).toContain('ECONNREFUSED');
    expect(clock.now()).toBeGreaterThanOrEqual(2_000);
  });

  it('should complete open watches on close', async () => {
    const t = await server();
    const remote: State = t.client('reader');
    const kind = record(remote.watchKind(Items.kind()));
    await waitFor(() => t.server.stats().watches === 1, 'the watch');
    await remote.close?.();
    expect(kind.completed).toBe(true);
    await waitFor(() => t.server.stats().watches === 0, 'the server to notice');
  });
});
