import { kubeletId } from '../../resources/k8s/namespace.js';
import { NodeIPs } from '../../resources/k8s/node-ip.js';
import { NodeIPConfigs } from '../../resources/k8s/node-ip-config.js';
import { ipFamily } from '../../resources/network/ip.js';
import { filteredNodeAddressId, NodeAddresses } from '../../resources/network/node-address.js';
import { noK8sFilterId } from '../../resources/network/node-address-filter.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReadContext } from '../../runtime/controller/read-context.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import { prefixContains } from '../network/ip-address.js';

/** The NodeAddress the kubelet's IP comes from: routed addresses outside the pod and service subnets. */
const sourceId = filteredNodeAddressId('routed', noK8sFilterId);

/**
 * Picks at most one address per family from `candidates` (in NodeAddress order): the one picked
 * before while it is still a candidate, else the first. Stable: a new address never displaces a
 * present one, so adding an address restarts nothing.
 */
function pickNodeIPs(candidates: readonly string[], previous: readonly string[]): string[] {
  const picked: string[] = [];
  for (const family of ['inet4', 'inet6'] as const) {
    const ofFamily = candidates.filter((ip) => ipFamily(ip) === family);
    const kept = previous.find((ip) => ipFamily(ip) === family && ofFamily.includes(ip));
    const chosen = kept ?? ofFamily[0];
    if (chosen !== undefined) picked.push(chosen);
  }
  return picked;
}

/** The bare addresses of `routed-no-k8s`, and those inside a valid subnet and outside every excluded one. */
async function candidates(ctx: ReadContext, config: { validSubnets: string[]; excludeSubnets: string[] }) {
  const routed = await undefinedIfNotFound(ctx.get(NodeAddresses.pointer(sourceId)));
  const all = (routed?.spec.addresses ?? []).map((a) => a.split('/')[0] ?? a);
  const matching = all.filter(
    (ip) =>
      config.validSubnets.some((s) => prefixContains(s, ip)) &&
      !config.excludeSubnets.some((s) => prefixContains(s, ip)),
  );
  return { all, matching };
}

/**
 * `k8s.NodeIPController`: `NodeIP/kubelet` from `NodeAddress/routed-no-k8s` through the
 * NodeIPConfig's valid and excluded subnets, at most one IPv4 and one IPv6, each kept while it is
 * still present. With no matching address the last NodeIP stays (a passing loss of the address
 * does not restart the kubelet); without a NodeIPConfig there is none.
 */
export const nodeIPController: ControllerDefinition = defineController({
  name: 'k8s.NodeIPController',
  inputs: [input.weak(NodeIPConfigs, { id: kubeletId }), input.weak(NodeAddresses, { id: sourceId })],
  outputs: [output.exclusive(NodeIPs)],
  async reconcile(ctx) {
    const config = await undefinedIfNotFound(ctx.get(NodeIPConfigs.pointer(kubeletId)));
    if (config === undefined) {
      ctx.trackOutputs();
      await ctx.cleanupOutputs(NodeIPs.kind());
      return;
    }
    const { all, matching: found } = await candidates(ctx, config.spec);
    const previous = (await undefinedIfNotFound(ctx.get(NodeIPs.pointer(kubeletId))))?.spec.addresses ?? [];
    if (found.length === 0) {
      if (all.length > 0) {
        ctx.log.warn(
          { addresses: all, validSubnets: config.spec.validSubnets },
          'no address matches the kubelet node IP subnets',
        );
      }
      return;
    }
    const picked = pickNodeIPs(found, previous);
    const skipped = found.filter((ip) => !picked.includes(ip));
    if (skipped.length > 0 && picked.some((ip) => !previous.includes(ip))) {
      ctx.log.info(
        { picked, skipped },
        'several node IP candidates: set machine.kubelet.nodeIP.validSubnets to pick one',
      );
    }
    await ctx.modify(NodeIPs.make(kubeletId, {}), (d) => {
      d.spec.addresses = picked;
    });
  },
});
