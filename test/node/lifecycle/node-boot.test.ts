import { afterEach, describe, expect, it } from 'vitest';
import { MachineStatuses } from '../../../src/node/index.js';
import { cleanup, makeNode, settleOn, type TestNode, workerConfig } from './lifecycle-helpers.js';

let t: TestNode | undefined;
afterEach(async () => {
  await cleanup(t);
  t = undefined;
});

describe('boot', () => {
  it('should install a fresh disk, boot it to running and ready, and record the install in the history', async () => {
    t = await makeNode({ config: workerConfig() });
    await t.node.start();
    await settleOn(t, t.node.booted(), 'boot');
    const status = await t.node.state.get(MachineStatuses.pointer('machine'));
    expect(status.spec).toEqual({ stage: 'running', status: { ready: true, unmetConditions: [] } });
    expect(t.node.version()).toMatchObject({ slot: 'A', image: { version: 'v1.0.0' } });
    const history = await t.node.configHistory();
    expect(history.map((e) => [e.version, e.by, e.mode])).toEqual([[1, 'install', 'install']]);
  });
});
