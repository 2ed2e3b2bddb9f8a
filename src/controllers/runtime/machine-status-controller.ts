import type { Observable } from 'rxjs';
import type { MachineStage } from '../../node/machine-stage.js';
import { NetworkStatuses, networkStatusId } from '../../resources/network/network-status.js';
import { MachineStatuses, machineStatusId } from '../../resources/runtime/machine-status.js';
import { Services } from '../../resources/runtime/service.js';
import { TimeStatuses, timeStatusId } from '../../resources/time/time-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReadContext } from '../../runtime/controller/read-context.js';

/** What the controller needs from the node besides resources. */
export interface MachineStatusInputs {
  /** The stage now (derived from the event bus). */
  stage(): MachineStage;
  /** Emits when the stage changes. */
  stageChanges(): Observable<unknown>;
  /** The services that must run for the node to be ready (`apid`, `etcd` on control planes, ...). */
  requiredServices(): readonly string[];
}

type Unmet = { name: string; reason: string };

const networkFlags = [
  ['addressReady', 'address'],
  ['connectivityReady', 'connectivity'],
  ['hostnameReady', 'hostname'],
  ['etcFilesReady', 'etcfiles'],
] as const;

async function unmetConditions(ctx: ReadContext, required: readonly string[]): Promise<Unmet[]> {
  const unmet: Unmet[] = [];
  const time = (await ctx.list(TimeStatuses.kind())).find((t) => t.metadata.id === timeStatusId);
  if (!time?.spec.synced) unmet.push({ name: 'time', reason: 'time is not synced' });
  const network = (await ctx.list(NetworkStatuses.kind())).find((n) => n.metadata.id === networkStatusId);
  const missing = networkFlags.filter(([flag]) => !network?.spec[flag]).map(([, name]) => name);
  if (missing.length > 0) unmet.push({ name: 'network', reason: `waiting for: ${missing.join(', ')}` });
  const services = await ctx.list(Services.kind());
  const running = new Set(services.map((s) => s.metadata.id));
  const unhealthy = services.filter((s) => !s.spec.healthy && !s.spec.unknown).map((s) => s.metadata.id);
  const absent = required.filter((id) => !running.has(id));
  const problems = [
    ...(absent.length > 0 ? [`not running: ${absent.join(', ')}`] : []),
    ...(unhealthy.length > 0 ? [`not healthy: ${unhealthy.join(', ')}`] : []),
  ];
  if (problems.length > 0) unmet.push({ name: 'services', reason: problems.join('; ') });
  return unmet;
}

/**
 * `runtime.MachineStatusController`: `MachineStatus/machine` with the stage from the event bus and,
 * while booting or running, readiness with every unmet condition named (time, network flags,
 * services). In other stages the machine is not ready and the stage says why.
 */
export function machineStatusController(inputs: MachineStatusInputs): ControllerDefinition {
  return defineController({
    name: 'runtime.MachineStatusController',
    inputs: [input.weak(TimeStatuses), input.weak(NetworkStatuses), input.weak(Services)],
    outputs: [output.exclusive(MachineStatuses)],
    sources: [source('events', () => inputs.stageChanges())],
    async reconcile(ctx) {
      const stage = inputs.stage();
      const checked = stage === 'booting' || stage === 'running';
      const unmet = checked
        ? await unmetConditions(ctx, inputs.requiredServices())
        : [{ name: 'stage', reason: `the machine is ${stage}` }];
      await ctx.modify(MachineStatuses.make(machineStatusId, {}), (d) => {
        d.spec.stage = stage;
        d.spec.status = { ready: checked && unmet.length === 0, unmetConditions: unmet };
      });
    },
  });
}
