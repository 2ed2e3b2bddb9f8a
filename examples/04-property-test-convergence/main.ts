/**
 * Example 04: a property test of convergence. A mount controller keeps a machine's mount table in
 * line with Mount resources. The test throws random creates, updates, teardowns, destroys and
 * finalizer changes at it, in random orders, while store calls fail, writes conflict, watches
 * overrun and the process crashes anywhere; once the faults stop, it demands that the machine and
 * the statuses end exactly where the inputs say. Then a subtly broken version is caught, and the
 * failure shrinks to a few operations and one decisive fault.
 *
 * Run: npx tsx --conditions=source examples/04-property-test-convergence/main.ts
 */
import {
  defineQController,
  defineResource,
  input,
  isNotFoundError,
  output,
  type QReconcileContext,
  type Resource,
} from 'converge';
import { checkConvergence, isConvergenceError, type Simulation } from 'converge/testing';
import { z } from 'zod';

const out = (line: string) => process.stdout.write(`${line}\n`);

// 1. The resources: what users ask for, and what the controller reports back.
const Mounts = defineResource({
  type: 'Mounts.example.converge.dev',
  spec: z.object({ device: z.enum(['sda1', 'sdb1', 'nvme0n1p1']), readOnly: z.boolean().default(false) }),
});
type Mount = Resource<typeof Mounts>;
const MountStatuses = defineResource({
  type: 'MountStatuses.example.converge.dev',
  spec: z.object({ device: z.string(), readOnly: z.boolean() }),
});

// 2. The machine the controller acts on: a mount table behind async calls (in production, syscalls).
interface Machine {
  readonly table: Map<string, { device: string; readOnly: boolean }>;
  mount(path: string, device: string, readOnly: boolean): Promise<void>;
  unmount(path: string): Promise<void>;
}

const pathOf = (id: string) => `/mnt/${id}`;
const orNothing = (e: unknown) => {
  if (isNotFoundError(e)) return undefined;
  throw e;
};

// 3. The controller, as its author writes it: one queue item per Mount. While a Mount is mounted it
//    carries the controller's finalizer, so it cannot disappear before it is unmounted.
function mountController(machine: Machine, options: { releaseFirst?: boolean } = {}) {
  const release = async (ctx: QReconcileContext, mount: Mount | undefined, id: string) => {
    if (mount !== undefined) await ctx.removeFinalizer(Mounts.pointer(id), ctx.controller);
  };
  return defineQController({
    name: 'MountController',
    inputs: [input.primary(Mounts)],
    outputs: [output.exclusive(MountStatuses)],
    async reconcile(ctx, pointer) {
      const id = pointer.id;
      const mount = await ctx.get(Mounts.pointer(id)).catch(orNothing);
      if (mount === undefined || mount.metadata.phase === 'tearingDown') {
        // The broken version lets go of the Mount before the machine is clean.
        if (options.releaseFirst) await release(ctx, mount, id);
        await machine.unmount(pathOf(id));
        await ctx.teardownAndDestroy(MountStatuses.pointer(id));
        if (!options.releaseFirst) await release(ctx, mount, id);
        return;
      }
      await ctx.addFinalizer(Mounts.pointer(id), ctx.controller);
      await machine.mount(pathOf(id), mount.spec.device, mount.spec.readOnly);
      await ctx.modify(MountStatuses.make(id, { device: '', readOnly: false }), (d) => {
        d.spec.device = mount.spec.device;
        d.spec.readOnly = mount.spec.readOnly;
      });
    },
  });
}

// 4. One machine per simulated run: it outlives runtime crashes, as real hardware would. Its calls
//    complete when the simulation's schedule says so.
const machines = new WeakMap<Simulation, Machine>();
function machineOf(sim: Simulation): Machine {
  let machine = machines.get(sim);
  if (machine === undefined) {
    const table = new Map<string, { device: string; readOnly: boolean }>();
    machine = {
      table,
      mount: sim.scheduleFunction(async (path: string, device: string, readOnly: boolean) => {
        table.set(path, { device, readOnly });
      }, 'mount'),
      unmount: sim.scheduleFunction(async (path: string) => {
        table.delete(path);
      }, 'unmount'),
    };
    machines.set(sim, machine);
  }
  return machine;
}

// 5. The property: whatever happened, once the faults stop, every running Mount is mounted as
//    asked and has a status; nothing else is mounted or reported.
const property = (releaseFirst: boolean) => ({
  controllers: (sim: Simulation) => [mountController(machineOf(sim), { releaseFirst })],
  inputs: [Mounts],
  expected: (model: { list: (d: typeof Mounts) => Mount[] }) =>
    model
      .list(Mounts)
      .filter((m) => m.metadata.phase === 'running')
      .map((m) => MountStatuses.make(m.metadata.id, { device: m.spec.device, readOnly: m.spec.readOnly })),
  check: (sim: Simulation, model: { list: (d: typeof Mounts) => Mount[] }) => {
    const want = model
      .list(Mounts)
      .filter((m) => m.metadata.phase === 'running')
      .map((m) => `${pathOf(m.metadata.id)}=${m.spec.device}${m.spec.readOnly ? ':ro' : ''}`);
    const have = [...machineOf(sim).table].map(
      ([path, m]) => `${path}=${m.device}${m.readOnly ? ':ro' : ''}`,
    );
    if (want.sort().join() !== have.sort().join()) {
      throw new Error(`mount table is [${have.join(', ')}], the inputs ask for [${want.join(', ')}]`);
    }
  },
  faults: { callFails: 0.05, writeConflict: 0.1, watchOverrun: 0.02, crash: 0.03, restart: 0.005 },
});

// 6. The real controller converges in every run.
const stats = await checkConvergence({ ...property(false), numRuns: 300, seed: 2026 });
out(`MountController converged in all ${stats.numRuns} runs (seed ${stats.seed}), faults included.`);

// 7. The broken one is caught: releasing the Mount before unmounting leaves a mount behind when
//    the process dies in between, and nothing ever comes back for it.
try {
  await checkConvergence({ ...property(true), numRuns: 300, seed: 2026 });
  out('the broken controller was not caught');
} catch (error) {
  if (!isConvergenceError(error)) throw error;
  out('\nThe broken MountController is caught. Its shrunk counterexample:');
  const { report } = error;
  out(`  ${report.title}`);
  out(`  decisions: ${report.decisions}`);
  for (const op of report.operations) out(`  - ${op}`);
  for (const d of report.differences) out(`  ${d.kind} ${d.pointer}`);
  if (report.error !== undefined) out(`  ${report.error}`);
  out(`  replay: ${report.replay}`);
}
