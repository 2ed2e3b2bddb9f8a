import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { Nodenames, nodenameId } from '../../resources/k8s/nodename.js';
import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { activeConfig } from './active-config.js';

/**
 * `k8s.NodenameController`: `Nodename/nodename`, the node's hostname in lower case, once the node
 * has a config and a hostname; it follows the hostname.
 */
export const nodenameController: ControllerDefinition = defineController({
  name: 'k8s.NodenameController',
  inputs: [input.weak(MachineConfigs, { id: activeMachineConfigId }), input.weak(HostnameStatuses)],
  outputs: [output.exclusive(Nodenames)],
  async reconcile(ctx) {
    const config = await activeConfig(ctx);
    const hostname = (await ctx.list(HostnameStatuses.kind())).find((h) => h.spec.hostname !== '');
    ctx.trackOutputs();
    if (config !== undefined && hostname !== undefined) {
      await ctx.modify(Nodenames.make(nodenameId, { nodename: '' }), (d) => {
        d.spec.nodename = hostname.spec.hostname.toLowerCase();
        d.spec.hostnameVersion = String(hostname.metadata.version);
        d.spec.skipNodeRegistration = config.machine.kubelet.skipNodeRegistration;
      });
    }
    await ctx.cleanupOutputs(Nodenames.kind());
  },
});
