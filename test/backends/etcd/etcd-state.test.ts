import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  isConflictError,
  isNotFoundError,
  isOwnerConflictError,
  isPhaseConflictError,
  isUnsupportedError,
  isValidationError,
  label,
  Namespaces,
  ResourceDefinitions,
} from '../../../src/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { Collector, eventsText, Things, useEtcd } from './support.js';

const etcd = useEtcd();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('createEtcdState', () => {
  it('should create, get, update and destroy with versions and timestamps', async () => {
    const state = etcd.state();
    const created = await state.create(Things.make('a', { value: 1 }), { owner: 'me' });
    expect(created.metadata).toMatchObject({ id: 'a', version: 1, owner: 'me', phase: 'running' });
    expect(created.spec).toEqual({ value: 1, text: '' });
    expect(isDeepFrozen(created)).toBe(true);
    const read = await state.get(Things.pointer('a'));
    expect(read).toEqual(created);
    expect(isDeepFrozen(read)).toBe(true);
    const updated = await state.update({ ...read, spec: { value: 2, text: 'x' } }, { owner: 'me' });
    expect(updated.metadata.version).toBe(2);
    expect(updated.metadata.created).toBe(created.metadata.created);
    await state.destroy(Things.pointer('a'), { owner: 'me' });
    expect(isNotFoundError(await rejection(state.get(Things.pointer('a'))))).toBe(true);
  });

  it('should give each generation of an id its own created while the clock stands still', async () => {
    const state = etcd.state({ clock: createVirtualClock({ start: Date.UTC(2030, 0, 2, 3, 4, 5, 6) }) });
    const generations = [];
    for (let i = 0; i < 3; i++) {
      generations.push(await state.create(Things.make('a', { value: i })));
      await state.destroy(Things.pointer('a'));
    }
    const latest = await state.create(Things.make('a', { value: 9 }));
    // Below the millisecond, each generation carries the etcd revision that made it.
    const created = [...generations, latest].map((r) => r.metadata.created);
    expect(new Set(created).size).toBe(4);
    for (const c of created) {
      expect(c).toMatch(/^2030-01-02T03:04:05\.006\d{6}Z$/);
      expect(Date.parse(c)).toBe(Date.UTC(2030, 0, 2, 3, 4, 5, 6));
    }
    expect((await state.get(Things.pointer('a'))).metadata).toMatchObject({
      created: latest.metadata.created,
      updated: latest.metadata.created,
    });
    // A write prepared against an earlier generation at the same version is refused.
    const stale = generations[0]!;
    const error = await rejection(
      state.transaction([
        {
          op: 'update',
          resource: { ...stale, spec: { value: 5, text: '' } },
          expectedCreated: stale.metadata.created,
        },
      ]),
    );
    expect(isConflictError(error)).toBe(true);
    expect((await state.get(Things.pointer('a'))).spec.value).toBe(9);
  });

  it('should refuse a create of an existing id with ConflictError and change nothing', async () => {
    const state = etcd.state();
    await state.create(Things.make('a', { value: 1 }));
    const error = await rejection(state.create(Things.make('a', { value: 2 })));
    expect(error).toBeInstanceOf(ConflictError);
    expect(String(error)).toMatch(/already exists/);
    expect((await state.get(Things.pointer('a'))).spec.value).toBe(1);
  });

  it('should check update in the contract order: not found, owner, version, phase', async () => {
    const state = etcd.state();
    const missing = Things.make('nope', { value: 1 });
    expect(isNotFoundError(await rejection(state.update(missing)))).toBe(true);
    const a = await state.create(Things.make('a', { value: 1 }), { owner: 'o' });
    // A stale version and a wrong owner: the owner is checked first.
    const stale = { ...a, metadata: { ...a.metadata, version: 7 } };
    expect(isOwnerConflictError(await rejection(state.update(stale, { owner: 'x' })))).toBe(true);
    const conflict = await rejection(state.update(stale, { owner: 'o' }));
    expect(isConflictError(conflict) && (conflict as ConflictError).code).toBe('Conflict');
    const down = await state.update(
      { ...a, metadata: { ...a.metadata, phase: 'tearingDown' } },
      { owner: 'o' },
    );
    expect(isPhaseConflictError(await rejection(state.update(down, { owner: 'o' })))).toBe(true);
    const again = await state.update(down, { owner: 'o', expectedPhase: 'any' });
    expect(again.metadata.version).toBe(3);
  });

  it('should refuse a destroy while finalizers remain and by another owner', async () => {
    const state = etcd.state();
    await state.create(Things.make('a', { value: 1 }, { finalizers: ['f'] }), { owner: 'o' });
    expect(isOwnerConflictError(await rejection(state.destroy(Things.pointer('a'))))).toBe(true);
    const pending = await rejection(state.destroy(Things.pointer('a'), { owner: 'o' }));
    expect(String(pending)).toMatch(/pending finalizers: f/);
    await state.removeFinalizer(Things.pointer('a'), 'f');
    await state.destroy(Things.pointer('a'), { owner: 'o' });
    expect(isNotFoundError(await rejection(state.destroy(Things.pointer('a'))))).toBe(true);
  });

  it('should list a kind sorted by id with label and id queries, isolated by namespace and prefix', async () => {
    const state = etcd.state();
    const other = etcd.state();
    for (const id of ['b', 'a/2', 'A', 'a', 'é', 'z', 'a 1']) {
      await state.create(Things.make(id, { value: 1 }, { labels: { len: String(id.length) } }));
    }
    await state.create(Things.make('q', { value: 1 }, { namespace: 'elsewhere' }));
    await other.create(Things.make('x', { value: 1 }));
    const ids = (await state.list(Things.kind())).map((r) => r.metadata.id);
    expect(ids).toEqual(['A', 'a', 'a 1', 'a/2', 'b', 'z', 'é']);
    const one = await state.list(Things.kind(), { labelQuery: [label.equal('len', '1')] });
    expect(one.map((r) => r.metadata.id)).toEqual(['A', 'a', 'b', 'z', 'é']);
    const slash = await state.list(Things.kind(), { idQuery: /\// });
    expect(slash.map((r) => r.metadata.id)).toEqual(['a/2']);
    expect((await other.list(Things.kind())).map((r) => r.metadata.id)).toEqual(['x']);
    expect((await state.list(Things.kind('elsewhere'))).map((r) => r.metadata.id)).toEqual(['q']);
  });

  it('should list more resources than one etcd page', async () => {
    const state = etcd.state();
    const ops = Array.from({ length: 5_100 }, (_, i) => ({
      op: 'create' as const,
      resource: Things.make(`r${String(i).padStart(5, '0')}`, { value: i }),
    }));
    for (let i = 0; i < ops.length; i += 100) await state.transaction(ops.slice(i, i + 100));
    const all = await state.list(Things.kind());
    expect(all).toHaveLength(5_100);
    expect(all.map((r) => r.spec.value)).toEqual(ops.map((_, i) => i));
  });

  it('should apply a transaction as one etcd transaction: all ops or none', async () => {
    const state = etcd.state();
    const a = await state.create(Things.make('a', { value: 1 }));
    const results = await state.transaction([
      { op: 'update', resource: { ...a, spec: { value: 2, text: '' } } },
      { op: 'create', resource: Things.make('b', { value: 1 }) },
      { op: 'destroy', pointer: Things.pointer('a') },
      { op: 'create', resource: Things.make('a', { value: 3 }) },
    ]);
    expect(results.map((r) => r && `${r.metadata.id}@${r.metadata.version}`)).toEqual([
      'a@2',
      'b@1',
      null,
      'a@1',
    ]);
    expect((await state.list(Things.kind())).map((r) => `${r.metadata.id}=${r.spec.value}`)).toEqual([
      'a=3',
      'b=1',
    ]);

    // The last op fails: nothing of the transaction is stored.
    const before = await state.list(Things.kind());
    const error = await rejection(
      state.transaction([
        { op: 'create', resource: Things.make('c', { value: 1 }) },
        { op: 'destroy', pointer: Things.pointer('b') },
        { op: 'create', resource: Things.make('a', { value: 4 }) },
      ]),
    );
    expect(isConflictError(error)).toBe(true);
    expect(await state.list(Things.kind())).toEqual(before);
  });

  it('should lose a compare-and-swap race to another process and retry nothing it should not', async () => {
    const state = etcd.state();
    const prefix = etcd.prefix();
    const mine = etcd.state({ prefix });
    const theirs = etcd.state({ prefix });
    const a = await mine.create(Things.make('a', { value: 1 }));
    await theirs.update({ ...(await theirs.get(Things.pointer('a'))), spec: { value: 2, text: '' } });
    // `mine` last saw version 1; its update is a stale write, refused by etcd's compare.
    const error = await rejection(mine.update({ ...a, spec: { value: 3, text: '' } }));
    expect(String(error)).toMatch(/version conflict: expected version 1, stored version 2/);
    // updateWithConflicts re-reads and wins on the next attempt.
    const done = await mine.updateWithConflicts(Things.pointer('a'), (d) => {
      d.spec.value += 10;
    });
    expect(done.spec.value).toBe(12);
    expect(state).toBeDefined();
  });

  it('should keep every increment when several stores race on one resource', async () => {
    const prefix = etcd.prefix();
    const stores = [etcd.state({ prefix }), etcd.state({ prefix }), etcd.state({ prefix })];
    await stores[0]!.create(Things.make('counter', { value: 0 }));
    await Promise.all(
      stores.flatMap((s) =>
        Array.from({ length: 10 }, () =>
          s.updateWithConflicts(Things.pointer('counter'), (d) => {
            d.spec.value += 1;
          }),
        ),
      ),
    );
    const counter = await stores[1]!.get(Things.pointer('counter'));
    expect(counter.spec.value).toBe(30);
    expect(counter.metadata.version).toBe(31);
  });

  it('should make every helper work over etcd', async () => {
    const state = etcd.state();
    const made = await state.modify(Things.make('m', { value: 1 }), (d) => {
      d.spec.value = 5;
    });
    expect(made.metadata.version).toBe(1);
    const same = await state.modify(Things.make('m', { value: 1 }), (d) => {
      d.spec.value = 5;
    });
    expect(same.metadata.version).toBe(1);
    await state.addFinalizer(Things.pointer('m'), 'keep');
    expect(await state.teardown(Things.pointer('m'))).toBe(false);
    const gone = state.teardownAndDestroy(Things.pointer('m'));
    await state.watchFor(Things.pointer('m'), { phases: ['tearingDown'] });
    await state.removeFinalizer(Things.pointer('m'), 'keep');
    await gone;
    expect(isNotFoundError(await rejection(state.get(Things.pointer('m'))))).toBe(true);
  });

  it('should register namespaces and resource definitions in meta, once', async () => {
    const state = etcd.state();
    await state.create(Things.make('a', { value: 1 }, { namespace: 'ns1' }));
    await state.create(Things.make('b', { value: 1 }, { namespace: 'ns1' }));
    const namespaces = (await state.list(Namespaces.kind())).map((r) => r.metadata.id);
    expect(namespaces).toEqual(['meta', 'ns1']);
    const rds = (await state.list(ResourceDefinitions.kind())).map((r) => r.metadata.id);
    expect(rds).toContain(Things.type.toLowerCase());
    expect((await state.get(ResourceDefinitions.pointer(Things.type.toLowerCase()))).metadata.version).toBe(
      1,
    );
  });

  it('should keep writes of one store on keys under its own prefix', async () => {
    const prefix = etcd.prefix();
    const state = etcd.state({ prefix });
    await state.create(Things.make('a/b', { value: 1 }));
    const client = new Etcd3({ hosts: etcd.server.endpoint });
    try {
      const keys = await client.getAll().prefix(`${prefix}/default/`).keys();
      expect(keys).toEqual([`${prefix}/default/${encodeURIComponent(Things.type)}/a%2Fb`]);
    } finally {
      client.close();
    }
  });

  it('should deliver the events of a transaction in op order, a destroy and create of one id as two events', async () => {
    const state = etcd.state();
    const a = await state.create(Things.make('a', { value: 1 }));
    const watch = new Collector(state.watchKind(Things.kind()));
    await state.transaction([
      { op: 'create', resource: Things.make('b', { value: 1 }) },
      { op: 'destroy', pointer: Things.pointer('a') },
      { op: 'create', resource: Things.make('a', { value: 2 }) },
      { op: 'create', resource: Things.make('c', { value: 1 }) },
    ]);
    await state.update({ ...(await state.get(Things.pointer('c'))), spec: { value: 5, text: '' } });
    const events = await watch.count(5);
    expect(eventsText(events)).toEqual([
      'created b@1',
      'destroyed a@1',
      'created a@1',
      'created c@1',
      'updated c@2',
    ]);
    expect(events[1]!.type === 'destroyed' && events[1]!.resource).toEqual(a);
    watch.stop();
  });

  it('should refuse a transaction larger than etcd takes, before writing anything', async () => {
    const state = etcd.state();
    const ops = Array.from({ length: 129 }, (_, i) => ({
      op: 'create' as const,
      resource: Things.make(`r${i}`, { value: i }),
    }));
    const error = await rejection(state.transaction(ops));
    expect(isUnsupportedError(error)).toBe(true);
    expect(String(error)).toMatch(/129 resources .*at most 128/);
    expect(await state.list(Things.kind())).toEqual([]);
  });

  it('should refuse bad identities with ValidationError before touching etcd', async () => {
    const state = etcd.state();
    const bad = { ...Things.make('x', { value: 1 }) };
    const noId = { ...bad, metadata: { ...bad.metadata, id: '' } };
    expect(isValidationError(await rejection(state.create(noId)))).toBe(true);
    expect(
      isValidationError(await rejection(state.get({ namespace: 'default', type: Things.type, id: '' }))),
    ).toBe(true);
    expect(await rejection(state.transaction('nope' as never))).toBeInstanceOf(TypeError);
    expect(await state.list(Things.kind())).toEqual([]);
  });
});
