import { EtcFileSpecs, etcHostsId, etcResolvConfId } from '../../resources/files/etc-file-spec.js';
import { fqdn, type HostnameStatus, HostnameStatuses } from '../../resources/network/hostname-status.js';
import { NodeAddresses, nodeAddressDefaultId } from '../../resources/network/node-address.js';
import { type ResolverStatus, ResolverStatuses } from '../../resources/network/resolver-status.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReconcileContext } from '../../runtime/controller/reconcile-context.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';

/** The name Talos gives the controller that renders `/etc/hosts` and `/etc/resolv.conf`. */
const etcFileControllerName = 'network.EtcFileController';

/** The address `/etc/hosts` gives the node's own name before it has one (Debian's convention). */
const noAddressHost = '127.0.1.1';

/** glibc's resolver reads at most three `nameserver` lines (MAXNS). */
const maxNameServers = 3;

/** `/etc/hosts`: localhost, the node's name on its default address, the IPv6 well-known names. */
export function renderHosts(hostname: HostnameStatus['spec'], defaultAddress: string | undefined): string {
  const ip = defaultAddress === undefined ? noAddressHost : (defaultAddress.split('/')[0] ?? noAddressHost);
  const full = fqdn(hostname);
  const names = full === hostname.hostname ? full : `${full} ${hostname.hostname}`;
  return [
    '127.0.0.1\tlocalhost',
    `${ip}\t${names}`,
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

/** `/etc/resolv.conf`: the first three name servers and the search domains. */
export function renderResolvConf(resolvers: ResolverStatus['spec']): string {
  const lines = resolvers.dnsServers.slice(0, maxNameServers).map((s) => `nameserver ${s}`);
  if (resolvers.searchDomains.length > 0) lines.push(`search ${resolvers.searchDomains.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** The node's default address, or `undefined` before it has one. */
async function defaultAddress(ctx: ReconcileContext): Promise<string | undefined> {
  return (await undefinedIfNotFound(ctx.get(NodeAddresses.pointer(nodeAddressDefaultId))))?.spec.addresses[0];
}

async function writeSpec(ctx: ReconcileContext, id: string, contents: string): Promise<void> {
  await ctx.modify(EtcFileSpecs.make(id, { contents }), (d) => {
    d.spec.contents = contents;
    d.spec.mode = 0o644;
  });
}

/**
 * `network.EtcFileController`: renders the contents of `/etc/hosts` (from the HostnameStatus and
 * the `default` NodeAddress, both needed) and `/etc/resolv.conf` (from the ResolverStatus) as
 * EtcFileSpecs in `files`; a file whose inputs are missing is not rendered. `files.EtcFileController` writes them.
 */
export const etcFileController: ControllerDefinition = defineController({
  name: etcFileControllerName,
  inputs: [
    input.weak(HostnameStatuses),
    input.weak(ResolverStatuses),
    input.weak(NodeAddresses, { id: nodeAddressDefaultId }),
  ],
  outputs: [output.exclusive(EtcFileSpecs)],
  async reconcile(ctx) {
    const hostname = (await ctx.list(HostnameStatuses.kind()))[0];
    const resolvers = (await ctx.list(ResolverStatuses.kind()))[0];
    ctx.trackOutputs();
    // As Talos: /etc/hosts waits for the default address as well as the hostname. Rendered before
    // it, the file would be written once naming 127.0.1.1 and again with the address, and a
    // restarted node would rewrite a file that was already right.
    const address = await defaultAddress(ctx);
    if (hostname !== undefined && address !== undefined) {
      await writeSpec(ctx, etcHostsId, renderHosts(hostname.spec, address));
    }
    if (resolvers !== undefined) await writeSpec(ctx, etcResolvConfId, renderResolvConf(resolvers.spec));
    await ctx.cleanupOutputs(EtcFileSpecs.kind());
  },
});
