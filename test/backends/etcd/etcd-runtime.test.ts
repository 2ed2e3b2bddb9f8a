import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isEtcdUnavailableError } from '../../../src/backends/etcd/index.js';
import { createRuntime, type State, transformController } from '../../../src/index.js';
import { actualStrs, expectedStrs, Ints, intToStr, Strs } from './fixtures/int-to-str.js';
import { eventually, useEtcd } from './support.js';

const etcd = useEtcd();
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

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

/** Polls the store until every Int has its Str and no Str is left over. */
async function converged(state: State): Promise<void> {
  await eventually(async () => {
    const want = expectedStrs(await state.list(Ints.kind()));
    const got = actualStrs(await state.list(Strs.kind()));
    return want.join() === got.join();
  }, 300);
}

/** Runs a fixture script in its own node process (with tsx), on the etcd store `prefix`. */
function spawnFixture(script: string, prefix: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(fixtures, script)], {
    env: { ...process.env, ETCD_ENDPOINT: etcd.server.endpoint, ETCD_PREFIX: prefix, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves when the child prints `line`; rejects if it exits first. */
function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) before printing ${line}:\n${err.slice(-2_000)}`)),
    );
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the controller runtime on an etcd store', () => {
  it('should ride out an etcd crash and restart and converge', async () => {
    const prefix = etcd.prefix();
    const state = etcd.state({ prefix, watchBackoff: { initialMs: 50, maxMs: 400 } });
    const writer = etcd.state({ prefix, callTimeoutMs: 2_000 });
    const runtime = createRuntime({ state, backoff: { initialMs: 50, maxMs: 500 } });
    runtime.register(intToStr());
    await runtime.start();
    try {
      for (let i = 0; i < 10; i++) await writer.create(Ints.make(`i${i}`, { value: i }));
      await runtime.settled({ timeout: 20_000 });
      // delivered() makes settled() exact over etcd: converged without polling.
      expect(actualStrs(await state.list(Strs.kind()))).toEqual(expectedStrs(await state.list(Ints.kind())));

      // Changes race the crash: the controller's writes fail while etcd is down and are retried.
      for (let i = 0; i < 10; i += 2) {
        await writer.updateWithConflicts(Ints.pointer(`i${i}`), (d) => {
          d.spec.value += 100;
        });
      }
      await etcd.server.kill();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await etcd.server.start();
      for (let i = 1; i < 10; i += 2) await retrying(() => writer.destroy(Ints.pointer(`i${i}`)));
      await retrying(() => writer.create(Ints.make('after', { value: 42 })));
      await converged(writer);
      expect((await writer.list(Strs.kind())).map((s) => s.metadata.id)).toEqual([
        'after',
        'i0',
        'i2',
        'i4',
        'i6',
        'i8',
      ]);
    } finally {
      await runtime.stop();
    }
  }, 60_000);

  it('should run a transform in batched etcd transactions, smaller ones where etcd takes fewer ops', async () => {
    for (const maxTxnOps of [128, 12]) {
      const state = etcd.state({ maxTxnOps });
      const runtime = createRuntime({ state, backoff: { initialMs: 50, maxMs: 500 } });
      runtime.register(
        transformController({
          name: 'IntsToStrs',
          inputFinalizers: true,
          input: Ints,
          output: Strs,
          map: (i) => Strs.make(i.metadata.id, { value: `#${i.spec.value}`, from: 0 }),
        }),
      );
      await runtime.start();
      try {
        for (let i = 0; i < 40; i++)
          await state.create(Ints.make(`i${String(i).padStart(2, '0')}`, { value: i }));
        await runtime.settled({ timeout: 20_000 });
        const strs = await state.list(Strs.kind());
        expect(strs.map((s) => `${s.metadata.id}=${s.spec.value}`)).toEqual(
          Array.from({ length: 40 }, (_, i) => `i${String(i).padStart(2, '0')}=#${i}`),
        );
        for (const r of await state.list(Ints.kind())) expect(r.metadata.finalizers).toEqual(['IntsToStrs']);
        expect(runtime.metrics().controllers.IntsToStrs!.errors).toBe(0);
      } finally {
        await runtime.stop();
      }
    }
  }, 60_000);

  it('should converge with writers in another process after the runtime process is killed mid-way and restarted', async () => {
    const prefix = etcd.prefix();
    const reader = etcd.state({ prefix });
    const runtime = spawnFixture('runtime-process.ts', prefix, { SLOW_MS: '20' });
    let restarted: ChildProcess | undefined;
    try {
      await waitForLine(runtime, 'ready');
      // Kill the runtime in the middle of its work: a few Strs written (20 ms apart), most not.
      const fifth = waitForLine(runtime, 'wrote 5');
      const phase1 = spawnFixture('writer-process.ts', prefix, { PHASE: '1', COUNT: '30' });
      const phase1Done = waitForLine(phase1, 'done');
      await fifth;
      runtime.kill('SIGKILL');
      await phase1Done;
      await exited(runtime);
      const partial = actualStrs(await reader.list(Strs.kind()));
      expect(partial.join()).not.toBe(expectedStrs(await reader.list(Ints.kind())).join());

      // More writes while no runtime runs, then a new runtime process.
      const phase2 = spawnFixture('writer-process.ts', prefix, { PHASE: '2', COUNT: '30' });
      await waitForLine(phase2, 'done');
      restarted = spawnFixture('runtime-process.ts', prefix);
      await waitForLine(restarted, 'ready');
      await converged(reader);

      const ints = await reader.list(Ints.kind());
      // Nothing lost: 30 created, every fifth destroyed, 5 added; every update landed once.
      expect(ints).toHaveLength(30 - 6 + 5);
      for (const i of ints) {
        const n = Number(i.metadata.id.slice(4));
        const updates = n >= 30 ? 0 : 1 + (n % 2 === 0 ? 1 : 0);
        expect(i.spec.value, i.metadata.id).toBe(n + 1000 * updates);
        expect(i.metadata.version, i.metadata.id).toBe(1 + updates);
      }
      // Nothing duplicated: exactly one Str per Int, none left for destroyed Ints.
      const strs = await reader.list(Strs.kind());
      expect(strs.map((s) => s.metadata.id)).toEqual(ints.map((i) => i.metadata.id));
    } finally {
      runtime.kill('SIGKILL');
      if (restarted !== undefined) {
        restarted.kill('SIGTERM');
        await exited(restarted);
      }
    }
  }, 60_000);
});
