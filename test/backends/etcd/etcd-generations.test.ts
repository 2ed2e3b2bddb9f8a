import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../../src/index.js';
import { isConflictError } from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { Collector, Things, useEtcd } from './support.js';

const etcd = useEtcd();

describe('createEtcdState: generations of an id across stores', () => {
  it('should tell apart generations that two stores made in the same millisecond', async () => {
    const prefix = etcd.prefix();
    // Two stores, as two processes would have, whose clocks read the same millisecond.
    const start = Date.UTC(2030, 0, 2, 3, 4, 5, 6);
    const a = etcd.state({ prefix, clock: createVirtualClock({ start }) });
    const b = etcd.state({ prefix, clock: createVirtualClock({ start }) });
    const stale = await a.create(Things.make('x', { value: 1 }));
    await a.destroy(Things.pointer('x'));
    const fresh = await b.create(Things.make('x', { value: 2 }));
    expect(fresh.metadata.version).toBe(stale.metadata.version);
    expect(fresh.metadata.created).not.toBe(stale.metadata.created);
    expect(Date.parse(fresh.metadata.created)).toBe(start);
    // Every reader sees the generation under the same created, from either store.
    expect((await a.get(Things.pointer('x'))).metadata.created).toBe(fresh.metadata.created);
    expect((await b.get(Things.pointer('x'))).metadata.created).toBe(fresh.metadata.created);
    // A write prepared against the old generation is refused, from either store.
    for (const s of [a, b]) {
      const error = await s
        .transaction([
          {
            op: 'update',
            resource: { ...stale, spec: { value: 5, text: '' } },
            expectedCreated: stale.metadata.created,
          },
        ])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isConflictError(error)).toBe(true);
    }
    expect((await b.get(Things.pointer('x'))).spec.value).toBe(2);
  });

  it('should tell apart a generation destroyed and made again in one transaction', async () => {
    const prefix = etcd.prefix();
    const clock = createVirtualClock({ start: Date.UTC(2030, 0, 2, 3, 4, 5, 6) });
    const a = etcd.state({ prefix, clock });
    const b = etcd.state({ prefix, clock });
    const stale = await a.create(Things.make('y', { value: 1 }));
    const watch = new Collector<WatchEvent>(a.watchKind(Things.kind()));
    const [, fresh] = await b.transaction([
      { op: 'destroy', pointer: Things.pointer('y') },
      { op: 'create', resource: Things.make('y', { value: 2 }) },
    ]);
    expect(fresh!.metadata.created).not.toBe(stale.metadata.created);
    expect((await a.get(Things.pointer('y'))).metadata.created).toBe(fresh!.metadata.created);
    // A watcher in the other store sees both generations under the created their writer returned.
    const events = await watch.count(2);
    watch.stop();
    expect(events.map((e) => [e.type, 'resource' in e ? e.resource.metadata.created : ''])).toEqual([
      ['destroyed', stale.metadata.created],
      ['created', fresh!.metadata.created],
    ]);
    await expect(
      a.transaction([
        {
          op: 'update',
          resource: { ...stale, spec: { value: 5, text: '' } },
          expectedCreated: stale.metadata.created,
        },
      ]),
    ).rejects.toSatisfy(isConflictError);
  });
});
