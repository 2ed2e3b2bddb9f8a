import { etcHostsId, etcResolvConfId } from '../../resources/files/etc-file-spec.js';
import { EtcFileStatuses } from '../../resources/files/etc-file-status.js';
import { HostnameStatuses } from '../../resources/network/hostname-status.js';
import { NetworkStatuses, networkStatusId } from '../../resources/network/network-status.js';
import { NodeAddresses, nodeAddressCurrentId } from '../../resources/network/node-address.js';
import { RouteStatuses } from '../../resources/network/route-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';

/** The name Talos gives the controller that aggregates network readiness. */
const statusControllerName = 'network.StatusController';

/**
 * `network.StatusController`: writes `NetworkStatus/status`. `addressReady`: NodeAddress `current`
 * is not empty; `connectivityReady`: a default route exists (there are no probes yet);
 * `hostnameReady`: a HostnameStatus exists; `etcFilesReady`: `files.EtcFileController` has
 * written `hosts` and `resolv.conf` (their EtcFileStatuses exist).
 */
export const statusController: ControllerDefinition = defineController({
  name: statusControllerName,
  inputs: [
    input.weak(NodeAddresses),
    input.weak(RouteStatuses),
    input.weak(HostnameStatuses),
    input.weak(EtcFileStatuses),
  ],
  outputs: [output.exclusive(NetworkStatuses)],
  async reconcile(ctx) {
    const current = (await ctx.list(NodeAddresses.kind())).find(
      (n) => n.metadata.id === nodeAddressCurrentId,
    );
    const routes = await ctx.list(RouteStatuses.kind());
    const hostnameReady = (await ctx.list(HostnameStatuses.kind())).length > 0;
    const written = new Set((await ctx.list(EtcFileStatuses.kind())).map((s) => s.metadata.id));
    const spec = {
      addressReady: (current?.spec.addresses.length ?? 0) > 0,
      connectivityReady: routes.some(
        (r) => r.spec.dst === '' && r.spec.table === 'main' && r.spec.type === 'unicast',
      ),
      hostnameReady,
      etcFilesReady: written.has(etcHostsId) && written.has(etcResolvConfId),
    };
    await ctx.modify(NetworkStatuses.make(networkStatusId, spec), (d) => {
      d.spec = spec;
    });
  },
});
