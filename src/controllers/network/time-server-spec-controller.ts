import { TimeServerSpecs, timeServerSpecId } from '../../resources/network/time-server-spec.js';
import { TimeServerStatuses } from '../../resources/network/time-server-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { applySpecs } from './apply-specs.js';

/** The name Talos gives the controller that publishes the time servers. */
export const timeServerSpecControllerName = 'network.TimeServerSpecController';

/**
 * `network.TimeServerSpecController`: publishes the merged time servers as TimeServerStatus (through
 * its finalizer); `time.SyncController` hands them to the clock.
 */
export const timeServerSpecController: ControllerDefinition = defineController({
  name: timeServerSpecControllerName,
  inputs: [input.strong(TimeServerSpecs)],
  outputs: [output.exclusive(TimeServerStatuses)],
  async reconcile(ctx) {
    const specs = await ctx.list(TimeServerSpecs.kind());
    ctx.trackOutputs();
    await applySpecs(ctx, specs, {
      async apply({ spec }) {
        await ctx.modify(TimeServerStatuses.make(timeServerSpecId, {}), (d) => {
          d.spec.timeServers = [...spec.timeServers];
        });
      },
      async undo() {},
    });
    await ctx.cleanupOutputs(TimeServerStatuses.kind());
  },
});
