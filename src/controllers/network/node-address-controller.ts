import { AddressStatuses } from '../../resources/network/address-status.js';
import { isLinkUp, LinkStatuses } from '../../resources/network/link-status.js';
import {
  filteredNodeAddressId,
  NodeAddresses,
  type NodeAddressKind,
  nodeAddressAccumulativeId,
  nodeAddressCurrentId,
  nodeAddressDefaultId,
  nodeAddressRoutedId,
} from '../../resources/network/node-address.js';
import { type NodeAddressFilter, NodeAddressFilters } from '../../resources/network/node-address-filter.js';
import { type ControllerDefinition, defineController } from '../../runtime/controller/define-controller.js';
import { input, output } from '../../runtime/controller/inputs.js';
import type { ReconcileContext } from '../../runtime/controller/reconcile-context.js';
import { undefinedIfNotFound } from '../../runtime/errors.js';
import { compareAddresses, isUnusableNodeAddress, prefixContains } from './ip-address.js';

/** The name Talos gives the controller that selects node addresses. */
const nodeAddressControllerName = 'network.NodeAddressController';

function sorted(addresses: Iterable<string>): string[] {
  return [...new Set(addresses)].sort(compareAddresses);
}

/** The addresses a filter lets through: inside an include subnet (if any) and outside every exclude subnet. */
function applyFilter(addresses: readonly string[], filter: NodeAddressFilter['spec']): string[] {
  return addresses.filter(
    (a) =>
      (filter.includeSubnets.length === 0 || filter.includeSubnets.some((s) => prefixContains(s, a))) &&
      !filter.excludeSubnets.some((s) => prefixContains(s, a)),
  );
}

async function previous(ctx: ReconcileContext, id: string): Promise<readonly string[] | undefined> {
  return (await undefinedIfNotFound(ctx.get(NodeAddresses.pointer(id))))?.spec.addresses;
}

async function write(ctx: ReconcileContext, id: string, addresses: readonly string[]): Promise<void> {
  await ctx.modify(NodeAddresses.make(id, {}), (d) => {
    d.spec.addresses = [...addresses];
  });
}

/**
 * `network.NodeAddressController` (Talos §1.7): from the observed addresses, minus loopback,
 * link-local, multicast and host-scope ones, writes `current` (links that are up), `routed` (the
 * same: no external or overlay addresses here), `accumulative` (everything seen this boot), the
 * sticky `default` (kept while still current), and `<kind>-<filter>` for every NodeAddressFilter.
 * With `loopback`, global-scope 127.0.0.0/8 addresses on physical links count too (several
 * simulated nodes on one host).
 */
export function nodeAddressController(options: { loopback?: boolean } = {}): ControllerDefinition {
  return defineController({
    name: nodeAddressControllerName,
    inputs: [input.weak(AddressStatuses), input.weak(LinkStatuses), input.weak(NodeAddressFilters)],
    outputs: [output.exclusive(NodeAddresses)],
    async reconcile(ctx) {
      const links = new Map((await ctx.list(LinkStatuses.kind())).map((l) => [l.metadata.id, l.spec]));
      const usable = (await ctx.list(AddressStatuses.kind())).filter(
        (a) =>
          a.spec.scope !== 'host' &&
          a.spec.scope !== 'link' &&
          (!isUnusableNodeAddress(a.spec.address) ||
            (options.loopback === true && prefixContains('127.0.0.0/8', a.spec.address))),
      );
      const current = sorted(
        usable
          .filter((a) => {
            const link = links.get(a.spec.linkName);
            return link !== undefined && isLinkUp(link);
          })
          .map((a) => a.spec.address),
      );
      const accumulative = sorted([...((await previous(ctx, nodeAddressAccumulativeId)) ?? []), ...current]);
      const byKind: Record<NodeAddressKind, string[]> = { current, routed: current, accumulative };

      ctx.trackOutputs();
      const oldDefault = (await previous(ctx, nodeAddressDefaultId))?.[0];
      const sticky = oldDefault !== undefined && current.includes(oldDefault) ? oldDefault : current[0];
      const chosen = sticky ?? oldDefault;
      if (chosen !== undefined) await write(ctx, nodeAddressDefaultId, [chosen]);
      await write(ctx, nodeAddressCurrentId, current);
      await write(ctx, nodeAddressRoutedId, byKind.routed);
      await write(ctx, nodeAddressAccumulativeId, accumulative);
      for (const filter of await ctx.list(NodeAddressFilters.kind())) {
        for (const kind of ['current', 'routed', 'accumulative'] as const) {
          await write(
            ctx,
            filteredNodeAddressId(kind, filter.metadata.id),
            applyFilter(byKind[kind], filter.spec),
          );
        }
      }
      await ctx.cleanupOutputs(NodeAddresses.kind());
    },
  });
}
