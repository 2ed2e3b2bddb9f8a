import { formatIp, networkOf, parsePrefix } from '../../platform/ip-prefix.js';
import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { KubeletConfigs } from '../../resources/k8s/kubelet-config.js';
import { kubeletId } from '../../resources/k8s/namespace.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { activeConfig } from './active-config.js';

/** The cluster DNS address of a service subnet: its tenth address, as Talos and kubeadm pick it. */
function clusterDnsAddress(serviceSubnet: string): string | undefined {
  const prefix = parsePrefix(serviceSubnet);
  if (prefix === undefined) return undefined;
  const network = networkOf(prefix);
  return formatIp({ family: network.family, value: network.value + 10n });
}

/**
 * `k8s.KubeletConfigController`: `KubeletConfig/kubelet` from the active config's `machine.kubelet`
 * and the cluster's DNS domain and service subnets; none without a config.
 */
export const kubeletConfigController: ControllerDefinition = defineController({
  name: 'k8s.KubeletConfigController',
  inputs: [input.weak(MachineConfigs, { id: activeMachineConfigId })],
  outputs: [output.exclusive(KubeletConfigs)],
  async reconcile(ctx) {
    const config = await activeConfig(ctx);
    ctx.trackOutputs();
    if (config !== undefined) {
      const { kubelet } = config.machine;
      const { network } = config.cluster;
      const clusterDNS = network.serviceSubnets.flatMap((s) => clusterDnsAddress(s) ?? []);
      await ctx.modify(KubeletConfigs.make(kubeletId, {}), (d) => {
        d.spec.image = kubelet.image ?? '';
        d.spec.clusterDNS = clusterDNS;
        d.spec.clusterDomain = network.dnsDomain;
        d.spec.extraArgs = { ...kubelet.extraArgs };
        d.spec.extraConfig = structuredClone(kubelet.extraConfig);
        d.spec.skipNodeRegistration = kubelet.skipNodeRegistration;
      });
    }
    await ctx.cleanupOutputs(KubeletConfigs.kind());
  },
});
