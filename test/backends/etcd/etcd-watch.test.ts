import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import {
  type AnyResource,
  isInvalidBookmarkError,
  isTombstone,
  isUnsupportedError,
  label,
  type WatchEvent,
} from '../../../src/index.js';
import { Collector, eventsText, Things, useEtcd } from './support.js';

const etcd = useEtcd();

function replay(events: readonly WatchEvent[]): string[] {
  const byId = new Map<string, AnyResource>();
  for (const e of events) {
    if (e.type === 'created' || e.type === 'updated') byId.set(e.resource.metadata.id, e.resource);
    else if (e.type === 'destroyed') byId.delete(e.resource.metadata.id);
  }
  return [...byId.values()].map((r) => `${r.metadata.id}@${r.metadata.version}`).sort();
}

describe('etcd watches', () => {
  it('should start a single watch with the current state, or a tombstone', async () => {
    const state = etcd.state();
    await state.create(Things.make('a', { value: 1 }));
    const a = new Collector(state.watch(Things.pointer('a')));
    const b = new Collector(state.watch(Things.pointer('b')));
    const [first] = await a.count(1);
    expect(first!.type).toBe('created');
    const [missing] = await b.count(1);
    expect(missing!.type === 'destroyed' && isTombstone(missing!.resource)).toBe(true);
    await state.create(Things.make('b', { value: 1 }));
    await state.update({ ...(await state.get(Things.pointer('a'))), spec: { value: 2, text: '' } });
    expect(eventsText(await a.count(2))).toEqual(['created a@1', 'updated a@2']);
    expect(eventsText(await b.count(2))).toEqual(['destroyed a@0'.replace('a', 'b'), 'created b@1']);
    a.stop();
    b.stop();
  });

  it('should see a write made right after subscribing to a kind (only future events)', async () => {
    const state = etcd.state();
    await state.create(Things.make('old', { value: 1 }));
    for (let i = 0; i < 5; i++) {
      const watch = new Collector(state.watchKind(Things.kind()));
      await state.create(Things.make(`new${i}`, { value: i }));
      expect(eventsText(await watch.count(1))).toEqual([`created new${i}@1`]);
      watch.stop();
    }
  });

  it('should bootstrap a snapshot sorted by id, then live events, nothing lost or repeated under concurrent writes', async () => {
    const prefix = etcd.prefix();
    const writer = etcd.state({ prefix });
    const reader = etcd.state({ prefix });
    for (let i = 0; i < 20; i++)
      await writer.create(Things.make(`r${String(i).padStart(2, '0')}`, { value: 0 }));
    let stop = false;
    // Writes go on until every watch has its snapshot and live events after it (a bound in case not).
    const writes = (async () => {
      for (let n = 0; !stop && n < 5_000; n++) {
        const id = `r${String(n % 25).padStart(2, '0')}`;
        await writer.modify(Things.make(id, { value: 0 }), (d) => {
          d.spec.value += 1;
        });
      }
    })();
    const streams = [0, 1, 2].map(
      () => new Collector(reader.watchKind(Things.kind(), { bootstrapContents: true })),
    );
    await Promise.all(
      streams.map((stream) =>
        stream.until((items) => {
          const boot = items.findIndex((e) => e.type === 'bootstrapped');
          return boot >= 0 && items.length >= boot + 3;
        }),
      ),
    );
    stop = true;
    await writes;
    const expected = (await writer.list(Things.kind())).map((r) => `${r.metadata.id}@${r.metadata.version}`);
    for (const stream of streams) {
      const events = await stream.until((items) => {
        const boot = items.findIndex((e) => e.type === 'bootstrapped');
        return boot >= 0 && replay(items).join() === expected.join();
      });
      const boot = events.findIndex((e) => e.type === 'bootstrapped');
      const snapshot = events
        .slice(0, boot)
        .map((e) => (e as { resource: AnyResource }).resource.metadata.id);
      expect(snapshot).toEqual([...snapshot].sort());
      // Versions of each id after the snapshot go up by exactly one: nothing lost or repeated.
      const last = new Map(
        events.slice(0, boot).map((e) => {
          const r = (e as { resource: AnyResource }).resource;
          return [r.metadata.id, r.metadata.version] as const;
        }),
      );
      for (const e of events.slice(boot + 1)) {
        if (e.type !== 'created' && e.type !== 'updated') continue;
        const { id, version } = e.resource.metadata;
        expect(version, `${id}`).toBe((last.get(id) ?? 0) + 1);
        last.set(id, version);
      }
      stream.stop();
    }
  });

  it('should resume from every bookmark with exactly the events after it, inside transactions too', async () => {
    const state = etcd.state();
    const all = new Collector(state.watchKind(Things.kind(), { bootstrapBookmark: true }));
    const a = await state.create(Things.make('a', { value: 1 }, { labels: { tier: 'x' } }));
    await state.transaction([
      { op: 'create', resource: Things.make('b', { value: 1 }) },
      { op: 'destroy', pointer: Things.pointer('a') },
      { op: 'create', resource: Things.make('a', { value: 2 }) },
      { op: 'create', resource: Things.make('c', { value: 1 }) },
    ]);
    await state.update({ ...(await state.get(Things.pointer('b'))), spec: { value: 3, text: '' } });
    const events = [...(await all.count(7))];
    expect(eventsText(events)).toEqual([
      'noop',
      'created a@1',
      'created b@1',
      'destroyed a@1',
      'created a@1',
      'created c@1',
      'updated b@2',
    ]);
    expect(a.metadata.id).toBe('a');
    const resumed = events.map(
      (e) => new Collector(state.watchKind(Things.kind(), { startFromBookmark: e.bookmark! })),
    );
    const batches = events.map(
      (e) => new Collector(state.watchKindAggregated(Things.kind(), { startFromBookmark: e.bookmark! })),
    );
    const singles = events.map(
      (e) => new Collector(state.watch(Things.pointer('a'), { startFromBookmark: e.bookmark! })),
    );
    await state.update({ ...(await state.get(Things.pointer('a'))), spec: { value: 9, text: '' } });
    for (let i = 0; i < events.length; i++) {
      const rest = [...eventsText(events.slice(i + 1)), 'updated a@2'];
      expect(eventsText(await resumed[i]!.count(rest.length)), `after event ${i}`).toEqual(rest);
      const flat = (await batches[i]!.until((items) => items.flat().length >= rest.length)).flat();
      expect(eventsText(flat)).toEqual(rest);
      const onlyA = rest.filter((t) => / a@/.test(t));
      expect(eventsText(await singles[i]!.count(onlyA.length)), `single after event ${i}`).toEqual(onlyA);
    }
    for (const c of [...resumed, ...batches, ...singles, all]) c.stop();
  });

  it('should refuse bookmarks that are malformed, from another store or kind, or from the future', async () => {
    const state = etcd.state();
    const other = etcd.state();
    const noop = new Collector(other.watchKind(Things.kind(), { bootstrapBookmark: true }));
    const [first] = await noop.count(1);
    const foreign = first!.bookmark!;
    const mine = new Collector(state.watchKind(Things.kind(), { bootstrapBookmark: true }));
    const [own] = await mine.count(1);
    const [, tag, rev] = own!.bookmark!.split('.');
    const future = `e.${tag}.${(Number.parseInt(rev!, 36) + 1000).toString(36)}.0`;
    const cases: [string, () => unknown][] = [
      ['malformed', () => state.watchKind(Things.kind(), { startFromBookmark: 'garbage' })],
      ['another store', () => state.watchKind(Things.kind(), { startFromBookmark: foreign })],
      [
        'another kind',
        () => state.watchKind(Things.kind('elsewhere'), { startFromBookmark: own!.bookmark! }),
      ],
      ['the future', () => state.watchKind(Things.kind(), { startFromBookmark: future })],
      ['single, another store', () => state.watch(Things.pointer('a'), { startFromBookmark: foreign })],
    ];
    for (const [what, open] of cases) {
      const error = await new Collector(open() as never).failure();
      expect(isInvalidBookmarkError(error), `${what}: ${String(error)}`).toBe(true);
    }
    noop.stop();
    mine.stop();
  });

  it('should answer a bookmark older than etcd compaction with InvalidBookmarkError', async () => {
    const state = etcd.state();
    const watch = new Collector(state.watchKind(Things.kind()));
    await state.create(Things.make('a', { value: 1 }));
    const [created] = await watch.count(1);
    await state.update({ ...(await state.get(Things.pointer('a'))), spec: { value: 2, text: '' } });
    await state.update({ ...(await state.get(Things.pointer('a'))), spec: { value: 3, text: '' } });
    const client = new Etcd3({ hosts: etcd.server.endpoint });
    try {
      const head = await client.get('nothing').exec();
      await client.kv.compact({ revision: head.header.revision, physical: true });
    } finally {
      client.close();
    }
    const error = await new Collector(
      state.watchKind(Things.kind(), { startFromBookmark: created!.bookmark! }),
    ).failure();
    expect(isInvalidBookmarkError(error), String(error)).toBe(true);
    expect(String(error)).toMatch(/older than the retained history/);
    // The open watch is unaffected and a fresh one still works.
    await state.create(Things.make('b', { value: 1 }));
    expect(eventsText(await watch.count(4))).toEqual([
      'created a@1',
      'updated a@2',
      'updated a@3',
      'created b@1',
    ]);
    watch.stop();
  });

  it('should answer tail events with UnsupportedError and bad option mixes with TypeError', async () => {
    const state = etcd.state();
    const tail = await new Collector(state.watchKind(Things.kind(), { tailEvents: 3 })).failure();
    expect(isUnsupportedError(tail)).toBe(true);
    const tailOne = await new Collector(state.watch(Things.pointer('a'), { tailEvents: 1 })).failure();
    expect(isUnsupportedError(tailOne)).toBe(true);
    const mix = await new Collector(
      state.watchKind(Things.kind(), { bootstrapContents: true, startFromBookmark: 'x' }),
    ).failure();
    expect(mix).toBeInstanceOf(TypeError);
  });

  it('should turn updates that start or stop matching a query into created and destroyed', async () => {
    const state = etcd.state();
    const watch = new Collector(
      state.watchKind(Things.kind(), { labelQuery: [label.equal('tier', 'x')], bootstrapContents: true }),
    );
    await watch.count(1);
    const a = await state.create(Things.make('a', { value: 1 }));
    const a2 = await state.update({ ...a, metadata: { ...a.metadata, labels: { tier: 'x' } } });
    const a3 = await state.update({ ...a2, spec: { value: 2, text: '' } });
    await state.update({ ...a3, metadata: { ...a3.metadata, labels: {} } });
    const events = await watch.count(4);
    expect(eventsText(events)).toEqual(['bootstrapped', 'created a@2', 'updated a@3', 'destroyed a@4']);
    expect('old' in events[1]!).toBe(false);
    watch.stop();
  });

  it('should deliver a transaction as one batch and the bootstrap as one array', async () => {
    const state = etcd.state();
    await state.create(Things.make('a', { value: 1 }));
    const batches = new Collector(state.watchKindAggregated(Things.kind(), { bootstrapContents: true }));
    await batches.count(1);
    await state.transaction([
      { op: 'create', resource: Things.make('b', { value: 1 }) },
      { op: 'create', resource: Things.make('c', { value: 1 }) },
    ]);
    const got = await batches.count(2);
    expect(got.map((b) => eventsText(b))).toEqual([
      ['created a@1', 'bootstrapped'],
      ['created b@1', 'created c@1'],
    ]);
    batches.stop();
  });

  it('should resolve delivered() once every committed change reached every open watch', async () => {
    const prefix = etcd.prefix();
    const state = etcd.state({ prefix });
    const writer = etcd.state({ prefix });
    const busy = new Collector(state.watchKind(Things.kind()));
    const quiet = new Collector(state.watchKind(Things.kind('quiet'), { bootstrapContents: true }));
    const single = new Collector(state.watch(Things.pointer('t09')));
    // Also waits for the watches to start: writes of another store are "after" them only then.
    await state.delivered?.();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) await writer.create(Things.make(`t${round}${i}`, { value: i }));
      await state.delivered?.();
      // No waiting: the events are already there.
      expect(busy.items).toHaveLength(10 * (round + 1));
    }
    expect(eventsText(quiet.items)).toEqual(['bootstrapped']);
    expect(eventsText(single.items)).toEqual(['destroyed t09@0', 'created t09@1']);
    for (const c of [busy, quiet, single]) c.stop();
    await state.delivered?.();
  });

  it('should complete open watches on close()', async () => {
    const state = etcd.state();
    const watch = new Collector(state.watchKind(Things.kind()));
    await state.create(Things.make('a', { value: 1 }));
    await watch.count(1);
    await state.close?.();
    await watch.until(() => watch.done);
    expect(watch.error).toBeUndefined();
  });
});
