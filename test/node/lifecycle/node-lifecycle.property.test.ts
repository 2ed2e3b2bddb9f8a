import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LifecycleOperation,
  lifecycleSteps,
  MachineConfigs,
  metaKeys,
  openMetaStore,
  parseMachineConfig,
  UpgradeRefusedError,
} from '../../../src/node/index.js';
import { createVirtualClock } from '../../../src/testing/index.js';
import { cleanup, makeNode, settleOn, type TestNode, workerConfig } from './lifecycle-helpers.js';

/** A power loss at a step: nothing more reaches the disk, and the process is gone. */
class Crash extends Error {}

type Op =
  | { kind: 'apply'; address: number; mode: 'auto' | 'staged' | 'reboot' }
  | { kind: 'upgrade'; fails: boolean }
  | { kind: 'rollback' }
  | { kind: 'reboot' };

const crashable: Partial<Record<Op['kind'], LifecycleOperation>> = {
  apply: 'applyConfig',
  upgrade: 'upgrade',
  rollback: 'rollback',
};

const opArb: fc.Arbitrary<{ op: Op; crash: number | null }> = fc.record({
  op: fc.oneof(
    fc.record({
      kind: fc.constant('apply' as const),
      address: fc.integer({ min: 60, max: 69 }),
      mode: fc.constantFrom('auto' as const, 'staged' as const, 'reboot' as const),
    }),
    fc.record({ kind: fc.constant('upgrade' as const), fails: fc.boolean() }),
    fc.record({ kind: fc.constant('rollback' as const) }),
    fc.record({ kind: fc.constant('reboot' as const) }),
  ),
  crash: fc.option(fc.nat({ max: 3 })),
});

/** Where the node loses power (armed per operation), and whether it has. */
interface Crashing {
  at?: [LifecycleOperation, string] | undefined;
  done: boolean;
}

let current: TestNode | undefined;
afterEach(async () => {
  await cleanup(current);
  current = undefined;
});

/** Boots a node on `dir` whose hook crashes it at `crash.step` when armed. */
async function power(dir: string | undefined, crash: Crashing) {
  const t = await makeNode(
    {
      ...(dir === undefined ? { config: workerConfig() } : {}),
      bootTimeoutMs: 60_000,
      rebootDelayMs: 1_000,
      lifecycleHook: (operation, step) => {
        if (crash.done) throw new Crash('the node is down');
        if (crash.at?.[0] === operation && crash.at[1] === step) {
          crash.done = true;
          t.node.disk.faults.failWrites(Number.MAX_SAFE_INTEGER, 'EIO');
          throw new Crash(`power lost at ${operation}:${step}`);
        }
      },
    },
    dir === undefined ? undefined : { dir, clock: createVirtualClock() },
  );
  await t.node.start();
  return t;
}

describe('node lifecycle under random operations and crashes', () => {
  it('should always end on a version it can boot, with the config the last successful apply asked for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 4 }), async (ops) => {
        let crash: Crashing = { done: false };
        let t = await power(undefined, crash);
        current = t;
        await settleOn(t, t.node.booted(), 'first boot');
        const good = new Set(['v1.0.0']);
        let expected = new Set([workerConfig()]);
        let staged = false;
        let n = 0;
        for (const { op, crash: at } of ops) {
          const operation = crashable[op.kind];
          const steps: readonly string[] = operation === undefined ? [] : lifecycleSteps[operation];
          const step = at === null ? undefined : steps[at % Math.max(steps.length, 1)];
          crash.at = operation !== undefined && step !== undefined ? [operation, step] : undefined;
          let run: Promise<unknown>;
          if (op.kind === 'apply') {
            const text = workerConfig(`10.0.0.${op.address}/24`);
            run = t.node.applyConfig(text, { mode: op.mode }).then(() => {
              expected = new Set([text]);
              staged = op.mode === 'staged';
            });
            expected.add(text);
          } else if (op.kind === 'upgrade') {
            const version = `v1.${++n}.0`;
            if (!op.fails) good.add(version);
            run = t.node.upgrade({ image: { version, failingServices: op.fails ? ['apid'] : [] } });
          } else if (op.kind === 'rollback') {
            run = t.node.rollback();
          } else {
            run = t.node.reboot();
          }
          const outcome = await settleOn(t, run, op.kind).then(
            () => undefined,
            (error: unknown) => error,
          );
          // After a power loss any error is expected (the crash surfaces through the sequence).
          if (outcome !== undefined && !crash.done && !(outcome instanceof UpgradeRefusedError))
            throw outcome;
          if (crash.done) {
            await t.node.stop();
            crash = { done: false };
            t = await power(t.dir, crash);
            current = t;
          }
          if (op.kind !== 'apply' || op.mode === 'reboot' || crash.done) staged = false;
          await settleOn(t, t.node.booted(), `boot after ${op.kind}`);
          const running = t.node.version().image;
          expect(good.has(running.version), `${running.version} is a good version`).toBe(true);
          expect((await openMetaStore(t.node.disk)).get(metaKeys.upgrade)).toBeUndefined();
          const stored = Buffer.from((await t.node.disk.read('STATE', 'config.yaml'))!).toString();
          expect(expected.has(stored), 'the config on disk is the last one applied').toBe(true);
          expected = new Set([stored]);
          if (!staged) {
            const active = await t.node.state.get(MachineConfigs.pointer('v1alpha1'));
            expect(active.spec).toEqual(parseMachineConfig(stored));
          }
        }
        await cleanup(t);
        current = undefined;
      }),
      { numRuns: 12, seed: Number(process.env.FC_SEED ?? 7), verbose: true },
    );
  }, 240_000);
});
