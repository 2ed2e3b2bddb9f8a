import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createRuntime, createState, type Runtime, type State } from '../../src/index.js';
import type { AnyControllerDefinition } from '../../src/runtime/controller/define-controller.js';
import { createVirtualClock, type VirtualClock } from '../../src/testing/index.js';

/** A state and runtime on a virtual clock, for controller tests. */
export interface ControllerHarness {
  readonly clock: VirtualClock;
  readonly state: State;
  readonly runtime: Runtime;
}

/** Creates a state and a runtime on a virtual clock and registers the controllers. */
export function controllerHarness(
  controllers: readonly AnyControllerDefinition[],
  clock = createVirtualClock(),
): ControllerHarness {
  const state = createState({ clock });
  // Tests feed controllers bad specs on purpose and assert on statuses: their warn lines are noise.
  const runtime = createRuntime({ state, clock, logger: pino({ level: 'silent' }) });
  for (const c of controllers) runtime.register(c);
  return { clock, state, runtime };
}

/**
 * Lets the runtime and the platform run: settles the runtime, moves the virtual clock by `step`,
 * `rounds` times (the platform's DHCP and sync delays run on the clock).
 */
export async function settle(
  runtime: Runtime,
  clock: VirtualClock,
  rounds = 10,
  step = 1_000,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await runtime.settled();
    await clock.advance(step);
  }
  await runtime.settled();
}

/**
 * The node's controllers for a run of the simulation kit: without `files.EtcFileController`, whose
 * real file writes complete outside the simulation's schedule (the properties check the kernel;
 * test/node/etc-files.test.ts checks the files).
 */
export function simulatedNodeControllers(
  controllers: readonly AnyControllerDefinition[],
): AnyControllerDefinition[] {
  return controllers.filter((c) => c.name !== 'files.EtcFileController');
}

/**
 * A temporary state directory for the tests of one file (the node's `/etc` files land in it),
 * made before them and removed after; returns its getter.
 */
export function temporaryStateDir(): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-node-test-'));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('the state directory exists only while the tests run');
    return dir;
  };
}
