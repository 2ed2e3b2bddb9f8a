import { describe, expect, it } from 'vitest';
import { isEtcdUnavailableError } from '../../../src/backends/etcd/index.js';
import type { AnyResource, State, WatchEvent } from '../../../src/index.js';
import { Collector, Things, useEtcd } from './support.js';
import { startTcpProxy } from './tcp-proxy.js';

const etcd = useEtcd();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

/** Retries `fn` while etcd is unavailable, as a caller riding out a restart would (bounded). */
async function retrying<T>(fn: () => Promise<T>, attempts = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (!isEtcdUnavailableError(error) || i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function bump(state: State, id: string): Promise<void> {
  await retrying(() =>
    state.modify(Things.make(id, { value: 0 }), (d) => {
      d.spec.value += 1;
    }),
  );
}

/** `type@version` of a resource event. */
const at = (e: WatchEvent) => ('resource' in e ? `${e.type}@${e.resource.metadata.version}` : e.type);
const versionOf = (e: WatchEvent | undefined) =>
  e !== undefined && 'resource' in e ? e.resource.metadata.version : 0;

const summary = (r: AnyResource) => `${r.metadata.id}@${r.metadata.version}=${JSON.stringify(r.spec)}`;

function replay(events: readonly WatchEvent[]): string[] {
  const byId = new Map<string, AnyResource>();
  for (const e of events) {
    if (e.type === 'created' || e.type === 'updated') byId.set(e.resource.metadata.id, e.resource);
    else if (e.type === 'destroyed') byId.delete(e.resource.metadata.id);
  }
  return [...byId.values()].map(summary).sort();
}

/** Every id's versions go up by exactly one from event to event: nothing lost, nothing repeated. */
function expectExactlyOnce(all: readonly WatchEvent[]): void {
  const boot = all.findIndex((e) => e.type === 'bootstrapped');
  const known = new Map<string, number>();
  for (const e of all.slice(0, Math.max(0, boot))) {
    if (e.type === 'created') known.set(e.resource.metadata.id, e.resource.metadata.version);
  }
  for (const e of all.slice(boot + 1)) {
    if (e.type !== 'created' && e.type !== 'updated' && e.type !== 'destroyed') continue;
    const { id, version } = e.resource.metadata;
    if (e.type === 'created') expect(version, `created ${id}`).toBe(1);
    else if (e.type === 'updated') expect(version, `updated ${id}`).toBe((known.get(id) ?? 0) + 1);
    else expect(version, `destroyed ${id}`).toBe(known.get(id));
    if (e.type === 'destroyed') known.delete(id);
    else known.set(id, version);
  }
}

describe('etcd state resilience', () => {
  it('should resume open watches across an etcd crash and restart, delivering every change exactly once', async () => {
    const prefix = etcd.prefix();
    const writer = etcd.state({ prefix, callTimeoutMs: 2_000 });
    const watcher = etcd.state({ prefix, watchBackoff: { initialMs: 50, maxMs: 400 } });
    const kind = new Collector(watcher.watchKind(Things.kind(), { bootstrapContents: true }));
    const batches = new Collector(watcher.watchKindAggregated(Things.kind()));
    const single = new Collector(watcher.watch(Things.pointer('r0')));
    await watcher.delivered?.();
    for (let round = 0; round < 3; round++) for (let i = 0; i < 5; i++) await bump(writer, `r${i}`);

    await etcd.server.kill();
    // While etcd is down, calls fail with a clear error instead of hanging.
    const read = await rejection(writer.get(Things.pointer('r0')));
    expect(isEtcdUnavailableError(read), String(read)).toBe(true);
    expect(String(read)).toContain(etcd.server.endpoint);
    const write = await rejection(writer.create(Things.make('never', { value: 1 })));
    expect(isEtcdUnavailableError(write), String(write)).toBe(true);
    // A watch opened while etcd is down starts once it is back.
    const late = new Collector(watcher.watchKind(Things.kind(), { bootstrapContents: true }));

    await etcd.server.start();
    for (let round = 0; round < 3; round++) for (let i = 0; i < 6; i++) await bump(writer, `r${i}`);
    await retrying(() => writer.destroy(Things.pointer('r4')));
    const r0 = await writer.get(Things.pointer('r0'));
    await writer.transaction([
      { op: 'update', resource: { ...r0, spec: { value: 100, text: '' } } },
      { op: 'update', resource: { ...r0, metadata: { ...r0.metadata, version: r0.metadata.version + 1 } } },
    ]);

    const final = (await writer.list(Things.kind())).map(summary);
    expect(final).toHaveLength(5);
    const done = (items: readonly WatchEvent[]) => replay(items).join() === final.join();
    expectExactlyOnce(await kind.until(done, 20_000));
    expectExactlyOnce((await batches.until((items) => done(items.flat()), 20_000)).flat());
    expectExactlyOnce(await late.until(done, 20_000));
    await single.until((items) => versionOf(items.at(-1)) === r0.metadata.version + 2);
    expect(single.items.map(at)).toEqual([
      'destroyed@0',
      'created@1',
      ...Array.from({ length: r0.metadata.version + 1 }, (_, i) => `updated@${i + 2}`),
    ]);
    await expect(writer.get(Things.pointer('never'))).rejects.toThrow(/not found/);
    for (const c of [kind, batches, single, late]) c.stop();
  }, 60_000);

  it('should fail calls within the call timeout while etcd is frozen, then work again', async () => {
    const prefix = etcd.prefix();
    const state = etcd.state({ prefix, callTimeoutMs: 500 });
    // Set-up and checks go through a store with the default timeout, so load cannot fail them.
    const other = etcd.state({ prefix });
    await other.create(Things.make('a', { value: 1 }));
    const watch = new Collector(state.watch(Things.pointer('a')));
    await watch.count(1);
    await etcd.server.pause();
    try {
      const read = await rejection(state.get(Things.pointer('a')));
      expect(isEtcdUnavailableError(read), String(read)).toBe(true);
      expect(String(read)).toMatch(/get failed, etcd at .* is unavailable/);
      const list = await rejection(state.list(Things.kind()));
      expect(isEtcdUnavailableError(list)).toBe(true);
      // A write that timed out was sent: the error says it may still apply (etcd may or may not run it).
      const write = await rejection(state.create(Things.make('late', { value: 1 })));
      expect(isEtcdUnavailableError(write)).toBe(true);
      expect(String(write)).toMatch(/create failed, .*may still have been applied/);
      // A watch that etcd cannot register does not hold later writes past their deadline.
      const stuck = new Collector(state.watchKind(Things.kind('elsewhere')));
      const held = await rejection(state.create(Things.make('held', { value: 1 })));
      expect(isEtcdUnavailableError(held), String(held)).toBe(true);
      stuck.stop();
    } finally {
      etcd.server.resume();
    }
    await retrying(() =>
      other.updateWithConflicts(Things.pointer('a'), (d) => {
        d.spec.value = 2;
      }),
    );
    const events = await watch.count(2);
    expect(events.map((e) => e.type)).toEqual(['created', 'updated']);
    await retrying(() => state.get(Things.pointer('a')));
    watch.stop();
  });

  it('should resume watches after a dropped connection with every change made meanwhile, exactly once', async () => {
    const proxy = await startTcpProxy(etcd.server.clientPort);
    try {
      const prefix = etcd.prefix();
      const writer = etcd.state({ prefix });
      const watcher = etcd.state({
        prefix,
        endpoints: [proxy.endpoint],
        callTimeoutMs: 1_000,
        watchBackoff: { initialMs: 50, maxMs: 400 },
      });
      const kind = new Collector(watcher.watchKind(Things.kind(), { bootstrapContents: true }));
      const single = new Collector(watcher.watch(Things.pointer('r1')));
      await watcher.delivered?.();
      for (let i = 0; i < 4; i++) await bump(writer, `r${i}`);
      await kind.until((items) => items.length >= 5);

      proxy.cut();
      for (let round = 0; round < 5; round++) for (let i = 0; i < 4; i++) await bump(writer, `r${i}`);
      await writer.destroy(Things.pointer('r3'));
      const cutOff = await rejection(watcher.get(Things.pointer('r1')));
      expect(isEtcdUnavailableError(cutOff), String(cutOff)).toBe(true);
      proxy.restore();

      const final = (await writer.list(Things.kind())).map(summary);
      const events = await kind.until((items) => replay(items).join() === final.join(), 20_000);
      expectExactlyOnce(events);
      expect(events.filter((e) => e.type === 'updated')).toHaveLength(4 * 5);
      const r1 = await single.until((items) => versionOf(items.at(-1)) === 6, 20_000);
      expect(r1.map(at)).toEqual([
        'destroyed@0',
        'created@1',
        'updated@2',
        'updated@3',
        'updated@4',
        'updated@5',
        'updated@6',
      ]);
      kind.stop();
      single.stop();
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
