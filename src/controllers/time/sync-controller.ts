import type { TimePlatform } from '../../platform/time.js';
import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { TimeServerStatuses } from '../../resources/network/time-server-status.js';
import { TimeStatuses, timeStatusId } from '../../resources/time/time-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input, output } from '../../runtime/controller/inputs.js';

/** The name Talos gives the controller that keeps the clock in sync. */
const syncControllerName = 'time.SyncController';

/**
 * `time.SyncController`: hands the time servers of TimeServerStatus to the platform's clock and
 * reports `TimeStatus/node`: `synced` from the clock, `epoch` bumped once per jump the clock
 * reports (certificate holders take TimeStatus as an input), `syncDisabled` from
 * `machine.time.disabled`, in which case the clock is trusted as synced.
 */
export function syncController(time: TimePlatform): ControllerDefinition {
  return defineController({
    name: syncControllerName,
    inputs: [input.weak(TimeServerStatuses), input.weak(MachineConfigs)],
    outputs: [output.exclusive(TimeStatuses)],
    sources: [source('clock', () => time.changes())],
    async reconcile(ctx) {
      const config = (await ctx.list(MachineConfigs.kind())).find(
        (c) => c.metadata.id === activeMachineConfigId,
      );
      const syncDisabled = config?.spec.machine.time.disabled ?? false;
      const statuses = await ctx.list(TimeServerStatuses.kind());
      const servers = syncDisabled ? [] : statuses.flatMap((s) => s.spec.timeServers);
      const status = time.status();
      if (status.servers.length !== servers.length || status.servers.some((s, i) => s !== servers[i])) {
        await time.setServers(servers);
      }
      // The epoch is the platform's count of jumps: state of the machine, not of this definition.
      const now = time.status();
      await ctx.modify(TimeStatuses.make(timeStatusId, {}), (d) => {
        d.spec.synced = syncDisabled || now.synced;
        d.spec.epoch = now.jumps;
        d.spec.syncDisabled = syncDisabled;
      });
    },
  });
}
