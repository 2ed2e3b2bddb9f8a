import { afterEach, describe, expect, it } from 'vitest';
import { deleteRequestedAnnotation } from '../../src/api/delete-reaper.js';
import { resourcePath } from '../../src/api/routes.js';
import { isNotFoundError } from '../../src/runtime/errors.js';
import { createState } from '../../src/runtime/state/create-state.js';
import type { State } from '../../src/runtime/state/state.js';
import { Items, startTestServer, type TestServer } from './helpers/fixture.js';
import { jsonOf, rawRequest } from './helpers/raw-request.js';

const servers: TestServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(state: State): Promise<TestServer> {
  const t = await startTestServer({ state });
  servers.push(t);
  return t;
}

function deleteAsUser(t: TestServer, id: string, query = '?teardown=true') {
  return rawRequest(t.url, {
    method: 'DELETE',
    path: `${resourcePath('default', Items.type, id)}${query}`,
    tls: t.tlsFor(t.certs.clients.operator),
  });
}

const gone = (state: State, id: string) =>
  state.get(Items.pointer(id)).then(
    () => false,
    (error: unknown) => isNotFoundError(error),
  );

describe('api delete that finishes', () => {
  it('should destroy at once (200) a user-owned resource that no finalizer holds', async () => {
    const state = createState();
    const t = await serve(state);
    await state.create(Items.make('free', { value: 1 }));
    const answer = await deleteAsUser(t, 'free');
    expect(answer.ok && answer.status).toBe(200);
    expect(jsonOf(answer)).toEqual({ destroyed: true });
    expect(await gone(state, 'free')).toBe(true);
  });

  it('should answer 202 with the finalizers it waits on, and destroy the resource when the last one goes', async () => {
    const state = createState();
    const t = await serve(state);
    await state.create(Items.make('held', { value: 1 }, { finalizers: ['a', 'b'] }));
    const answer = await deleteAsUser(t, 'held');
    expect(answer.ok && answer.status).toBe(202);
    const body = jsonOf(answer);
    expect(body.destroyed).toBe(false);
    expect(body.waitingFor).toEqual(['a', 'b']);
    expect(body.resource.metadata.phase).toBe('tearingDown');
    expect(body.resource.metadata.annotations[deleteRequestedAnnotation]).toBe('operator');
    // A second delete while waiting answers the same, and changes nothing.
    const again = await deleteAsUser(t, 'held');
    expect(again.ok && again.status).toBe(202);
    expect(jsonOf(again).resource.metadata.version).toBe(body.resource.metadata.version);

    const destroyed = state.watchFor(Items.pointer('held'), { eventTypes: ['destroyed'] });
    await state.removeFinalizer(Items.pointer('held'), 'a');
    expect(await gone(state, 'held')).toBe(false);
    await state.removeFinalizer(Items.pointer('held'), 'b');
    await destroyed;
    expect(await gone(state, 'held')).toBe(true);
  });

  it('should finish a delete after the server restarted, with the client gone', async () => {
    const state = createState();
    const first = await serve(state);
    await state.create(Items.make('restart', { value: 1 }, { finalizers: ['f'] }));
    const answer = await deleteAsUser(first, 'restart');
    expect(answer.ok && answer.status).toBe(202);
    await servers.shift()!.close();
    // The finalizer goes while no server runs: nothing destroys it yet.
    await state.removeFinalizer(Items.pointer('restart'), 'f');
    expect((await state.get(Items.pointer('restart'))).metadata.phase).toBe('tearingDown');
    const destroyed = state.watchFor(Items.pointer('restart'), { eventTypes: ['destroyed'] });
    await serve(state);
    await destroyed;
    expect(await gone(state, 'restart')).toBe(true);
  });

  it('should leave a new generation created under the same id alone', async () => {
    const state = createState();
    const t = await serve(state);
    await state.create(Items.make('again', { value: 1 }, { finalizers: ['f'] }));
    expect((await deleteAsUser(t, 'again')).ok).toBe(true);
    await state.removeFinalizer(Items.pointer('again'), 'f');
    await state.watchFor(Items.pointer('again'), { eventTypes: ['destroyed'] });
    await state.create(Items.make('again', { value: 2 }));
    // A later delete request of the new generation is what would remove it; none came.
    expect((await state.get(Items.pointer('again'))).spec.value).toBe(2);
  });

  it('should refuse (409) to delete a resource a controller owns, and keep the store contract without teardown', async () => {
    const state = createState();
    const t = await serve(state);
    await state.create(Items.make('owned', { value: 1 }), { owner: 'SomeController' });
    const refused = await deleteAsUser(t, 'owned');
    expect(refused.ok && refused.status).toBe(409);
    expect(jsonOf(refused).error.code).toBe('OwnerConflict');
    expect((await state.get(Items.pointer('owned'))).metadata.phase).toBe('running');
    // Without teardown=true, DELETE is the store's destroy: 409 while finalizers remain.
    await state.create(Items.make('plain', { value: 1 }, { finalizers: ['f'] }));
    const plain = await deleteAsUser(t, 'plain', '');
    expect(plain.ok && plain.status).toBe(409);
  });
});
