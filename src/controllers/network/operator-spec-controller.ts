import type { DhcpClientOptions, DhcpLease, DhcpPlatform } from '../../platform/dhcp.js';
import { AddressSpecs, addressId } from '../../resources/network/address-spec.js';
import { HostnameSpecs, hostnameSpecId, splitFqdn } from '../../resources/network/hostname-spec.js';
import { networkConfigNamespace, operatorPrefixedId } from '../../resources/network/layer.js';
import { LinkSpecs } from '../../resources/network/link-spec.js';
import { isLinkUp, LinkStatuses } from '../../resources/network/link-status.js';
import { type OperatorSpec, OperatorSpecs } from '../../resources/network/operator-spec.js';
import { ResolverSpecs, resolverSpecId } from '../../resources/network/resolver-spec.js';
import { defaultRouteMetric, RouteSpecs, routeId } from '../../resources/network/route-spec.js';
import { TimeServerSpecs, timeServerSpecId } from '../../resources/network/time-server-spec.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { source } from '../../runtime/controller/external-source.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReconcileContext } from '../../runtime/controller/reconcile-context.js';
import type { AnyResourceDefinition } from '../../runtime/resource/define-resource.js';
import { tolerate } from './platform-errors.js';

/** The name Talos gives the controller that runs operators. */
export const operatorSpecControllerName = 'network.OperatorSpecController';

/** The kinds an operator writes, all in `network-config` at layer `operator`. */
const producedKinds: readonly AnyResourceDefinition[] = [
  AddressSpecs,
  RouteSpecs,
  LinkSpecs,
  HostnameSpecs,
  ResolverSpecs,
  TimeServerSpecs,
];

function clientOptions(spec: OperatorSpec['spec']): DhcpClientOptions {
  return spec.dhcp4.clientIdentifier === 'none' ? { clientId: '' } : {};
}

/** Writes the specs a DHCPv4 lease stands for, ids prefixed by the operator's id. */
async function writeLeaseSpecs(
  ctx: ReconcileContext,
  operator: OperatorSpec,
  lease: DhcpLease,
): Promise<void> {
  const prefix = operator.metadata.id;
  const spec = operator.spec;
  const at = { namespace: networkConfigNamespace };
  const put = async <TDef extends AnyResourceDefinition>(
    def: TDef,
    id: string,
    value: unknown,
  ): Promise<void> => {
    const desired = def.make(operatorPrefixedId(prefix, id), value, at);
    await ctx.modify(desired, (d) => {
      d.spec = desired.spec;
    });
  };
  const linkName = spec.linkName;
  await put(AddressSpecs, addressId(linkName, lease.address), {
    address: lease.address,
    linkName,
    family: 'inet4',
    scope: 'global',
    layer: 'operator',
  });
  if (lease.router !== '') {
    const route = {
      family: 'inet4' as const,
      dst: '',
      gateway: lease.router,
      outLinkName: linkName,
      priority: spec.dhcp4.routeMetric || defaultRouteMetric,
      protocol: 'dhcp' as const,
      layer: 'operator' as const,
    };
    await put(RouteSpecs, routeId(route), route);
  }
  if (lease.mtu > 0) await put(LinkSpecs, linkName, { name: linkName, mtu: lease.mtu, layer: 'operator' });
  if (lease.hostname !== '' && !spec.dhcp4.skipHostnameRequest) {
    const name = splitFqdn(lease.hostname);
    const domainname = name.domainname === '' ? lease.domainname : name.domainname;
    await put(HostnameSpecs, hostnameSpecId, { hostname: name.hostname, domainname, layer: 'operator' });
  }
  if (lease.dnsServers.length > 0) {
    await put(ResolverSpecs, resolverSpecId, {
      dnsServers: [...lease.dnsServers],
      searchDomains: [...lease.searchDomains],
      layer: 'operator',
    });
  }
  if (lease.ntpServers.length > 0) {
    await put(TimeServerSpecs, timeServerSpecId, { timeServers: [...lease.ntpServers], layer: 'operator' });
  }
}

/**
 * `network.OperatorSpecController` (Talos §1.5): runs a DHCPv4 client on the platform for every
 * merged `dhcp4` OperatorSpec whose link exists (and is up when `requireUp`), restarts it when its
 * spec changes, stops it when the spec goes, and turns each lease into Address/Route/Link/Hostname/
 * Resolver/TimeServer specs of layer `operator` in `network-config`, ids prefixed by the operator
 * id. A renewed lease rewrites them; an expired one or a stopped operator tears them down, through
 * the finalizers of the controllers that applied them.
 */
export function operatorSpecController(dhcp: DhcpPlatform): ControllerDefinition {
  const running = new Map<string, string>();
  return defineController({
    name: operatorSpecControllerName,
    inputs: [
      input.weak(OperatorSpecs),
      input.weak(LinkStatuses),
      ...producedKinds.map((d) => input.destroyReady(d, { namespace: networkConfigNamespace })),
    ],
    outputs: producedKinds.map((d) => output.shared(d)),
    sources: [source('dhcp', () => dhcp.changes())],
    async reconcile(ctx) {
      const links = new Map((await ctx.list(LinkStatuses.kind())).map((l) => [l.metadata.id, l.spec]));
      const wanted = new Map<string, OperatorSpec>();
      for (const op of await ctx.list(OperatorSpecs.kind())) {
        const link = links.get(op.spec.linkName);
        if (op.metadata.phase !== 'running' || op.spec.operator !== 'dhcp4' || link === undefined) continue;
        if (op.spec.requireUp && !isLinkUp(link)) continue;
        wanted.set(op.spec.linkName, op);
      }
      for (const linkName of dhcp.clients()) {
        const op = wanted.get(linkName);
        const started = running.get(linkName);
        if (op !== undefined && (started === undefined || started === JSON.stringify(op.spec))) {
          // A client found running after a restart of the controller is adopted, not restarted.
          running.set(linkName, JSON.stringify(op.spec));
          continue;
        }
        await tolerate(() => dhcp.stop(linkName), 'ENOENT');
        running.delete(linkName);
      }
      const active = new Set(dhcp.clients());
      ctx.trackOutputs();
      for (const [linkName, op] of wanted) {
        if (!active.has(linkName)) {
          await tolerate(() => dhcp.start(linkName, clientOptions(op.spec)), 'EBUSY');
          running.set(linkName, JSON.stringify(op.spec));
        }
        const lease = dhcp.lease(linkName);
        if (lease !== undefined) await writeLeaseSpecs(ctx, op, lease);
      }
      await ctx.cleanupOutputs(...producedKinds.map((d) => d.kind(networkConfigNamespace)));
    },
  });
}
