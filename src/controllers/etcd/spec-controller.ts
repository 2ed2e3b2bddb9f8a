import { EtcdConfigs, etcdId } from '../../resources/etcd/etcd-config.js';
import { type EtcdSpec, EtcdSpecs } from '../../resources/etcd/etcd-spec.js';
import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { filteredNodeAddressId, NodeAddresses } from '../../resources/network/node-address.js';
import { noK8sFilterId } from '../../resources/network/node-address-filter.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import { prefixContains } from '../network/ip-address.js';

const routedNoK8s = filteredNodeAddressId('routed', noK8sFilterId);
const currentNoK8s = filteredNodeAddressId('current', noK8sFilterId);

/** The address part of `10.0.0.5/24`. */
const bare = (prefix: string): string => prefix.split('/')[0] ?? prefix;

/** Addresses inside a valid subnet (any, when none are given) and outside every excluded one. */
function select(
  addresses: readonly string[],
  valid: readonly string[],
  exclude: readonly string[],
): string[] {
  return addresses.filter(
    (a) =>
      (valid.length === 0 || valid.some((s) => prefixContains(s, a))) &&
      !exclude.some((s) => prefixContains(s, a)),
  );
}

/**
 * `etcd.SpecController` (research §3.3): EtcdSpec from EtcdConfig, the hostname and the
 * `routed-no-k8s` / `current-no-k8s` addresses. Advertised: the first routed address outside the
 * excluded subnets (VIPs), or every current address in the valid subnets when some are set.
 * Listen: everywhere without listen subnets; else peers on the matching routed addresses and clients
 * on those plus loopback — unless they are loopback addresses themselves (several nodes on one host
 * share 127.0.0.1, so none may take it). No spec is written until both lists are non-empty; the
 * last one stays meanwhile.
 */
export function etcdSpecController(): ControllerDefinition {
  return defineController({
    name: 'etcd.SpecController',
    inputs: [input.weak(EtcdConfigs), input.weak(HostnameStatuses), input.weak(NodeAddresses)],
    outputs: [output.exclusive(EtcdSpecs)],
    async reconcile(ctx) {
      const config = (await ctx.list(EtcdConfigs.kind())).find((c) => c.metadata.id === etcdId);
      if (config === undefined) {
        ctx.trackOutputs();
        await ctx.cleanupOutputs(EtcdSpecs.kind());
        return;
      }
      const hostname = (await ctx.list(HostnameStatuses.kind()))[0]?.spec.hostname ?? '';
      const addresses = new Map(
        (await ctx.list(NodeAddresses.kind())).map((n) => [n.metadata.id, n.spec.addresses.map(bare)]),
      );
      const routed = addresses.get(routedNoK8s) ?? [];
      const current = addresses.get(currentNoK8s) ?? [];
      const c = config.spec;
      const advertised =
        c.advertiseValidSubnets.length === 0
          ? select(routed, [], c.advertiseExcludeSubnets).slice(0, 1)
          : select(current, c.advertiseValidSubnets, c.advertiseExcludeSubnets);
      let listenPeer: string[];
      let listenClient: string[];
      if (c.listenValidSubnets.length === 0) {
        listenPeer = ['0.0.0.0'];
        listenClient = ['0.0.0.0'];
      } else {
        listenPeer = select(routed, c.listenValidSubnets, c.listenExcludeSubnets);
        const shared = listenPeer.some((a) => prefixContains('127.0.0.0/8', a));
        listenClient = shared || listenPeer.length === 0 ? listenPeer : ['127.0.0.1', ...listenPeer];
      }
      if (hostname === '' || advertised.length === 0 || listenPeer.length === 0) return;
      const spec: EtcdSpec['spec'] = EtcdSpecs.make(etcdId, {
        name: hostname,
        advertisedAddresses: advertised,
        listenPeerAddresses: listenPeer,
        listenClientAddresses: listenClient,
        image: c.image,
        extraArgs: c.extraArgs,
        clientPort: c.clientPort,
        peerPort: c.peerPort,
      }).spec;
      await ctx.modify(EtcdSpecs.make(etcdId, spec), (d) => {
        d.spec = spec;
      });
    },
  });
}
