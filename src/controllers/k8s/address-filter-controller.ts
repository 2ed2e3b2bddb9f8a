import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import {
  NodeAddressFilters,
  noK8sFilterId,
  onlyK8sFilterId,
} from '../../resources/network/node-address-filter.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';

/** The name Talos gives the controller that makes the Kubernetes address filters. */
export const addressFilterControllerName = 'k8s.AddressFilterController';

/**
 * `k8s.AddressFilterController`: from the active config's pod and service subnets, the NodeAddress
 * filters `no-k8s` (everything outside them: what etcd and kubelet pick from) and `only-k8s`.
 * Without a config there are no filters.
 */
export const addressFilterController: ControllerDefinition = defineController({
  name: addressFilterControllerName,
  inputs: [input.weak(MachineConfigs)],
  outputs: [output.exclusive(NodeAddressFilters)],
  async reconcile(ctx) {
    const config = (await ctx.list(MachineConfigs.kind())).find(
      (c) => c.metadata.id === activeMachineConfigId,
    );
    ctx.trackOutputs();
    if (config !== undefined) {
      const { podSubnets, serviceSubnets } = config.spec.cluster.network;
      const subnets = [...podSubnets, ...serviceSubnets];
      await ctx.modify(NodeAddressFilters.make(noK8sFilterId, {}), (d) => {
        d.spec.includeSubnets = [];
        d.spec.excludeSubnets = subnets;
      });
      await ctx.modify(NodeAddressFilters.make(onlyK8sFilterId, {}), (d) => {
        d.spec.includeSubnets = subnets;
        d.spec.excludeSubnets = [];
      });
    }
    await ctx.cleanupOutputs(NodeAddressFilters.kind());
  },
});
