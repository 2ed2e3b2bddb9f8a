import type { MachineConfigSpec } from '../../resources/config/machine-config.js';
import { activeMachineConfigId, MachineConfigs } from '../../resources/config/machine-config.js';
import { kubeletId } from '../../resources/k8s/namespace.js';
import { NodeIPConfigs } from '../../resources/k8s/node-ip-config.js';
import { ipFamily, parsePrefix } from '../../resources/network/ip.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { activeConfig } from './active-config.js';

/** Any address of a family, the default valid subnet when the config names none. */
const anyAddress = { inet4: '0.0.0.0/0', inet6: '::/0' } as const;

/** Every shared (VIP) address of the config, as a single-address prefix. */
function sharedAddresses(config: MachineConfigSpec): string[] {
  const vips = config.machine.network.interfaces.flatMap((device) => [
    ...(device.vip ? [device.vip.ip] : []),
    ...device.vlans.flatMap((vlan) => (vlan.vip ? [vlan.vip.ip] : [])),
  ]);
  return vips.map((ip) => `${ip}/${ipFamily(ip) === 'inet6' ? 128 : 32}`);
}

/**
 * `k8s.NodeIPConfigController`: `NodeIPConfig/kubelet` from `machine.kubelet.nodeIP.validSubnets`
 * (or, when empty, any address of the service subnets' families), excluding the pod and service
 * subnets and every VIP.
 */
export const nodeIPConfigController: ControllerDefinition = defineController({
  name: 'k8s.NodeIPConfigController',
  inputs: [input.weak(MachineConfigs, { id: activeMachineConfigId })],
  outputs: [output.exclusive(NodeIPConfigs)],
  async reconcile(ctx) {
    const config = await activeConfig(ctx);
    ctx.trackOutputs();
    if (config !== undefined) {
      const { podSubnets, serviceSubnets } = config.cluster.network;
      const families = new Set(serviceSubnets.map((s) => parsePrefix(s)?.family ?? 'inet4'));
      const configured = config.machine.kubelet.nodeIP.validSubnets;
      const validSubnets =
        configured.length > 0
          ? configured
          : (['inet4', 'inet6'] as const).filter((f) => families.has(f)).map((f) => anyAddress[f]);
      await ctx.modify(NodeIPConfigs.make(kubeletId, {}), (d) => {
        d.spec.validSubnets = [...validSubnets];
        d.spec.excludeSubnets = [...podSubnets, ...serviceSubnets, ...sharedAddresses(config)];
      });
    }
    await ctx.cleanupOutputs(NodeIPConfigs.kind());
  },
});
