import type { NetworkDevice } from '../../resources/config/v1alpha1-network.js';
import { type ConfigLayer, layeredId, networkConfigNamespace } from '../../resources/network/layer.js';
import { type LinkSpecSpec, LinkSpecs } from '../../resources/network/link-spec.js';
import type { AnyResource, SpecInputOf } from '../../runtime/resource/resource.js';
import { defineNetworkConfigController } from './config-controller-factory.js';
import { deviceLink, physicalLinks, resolveCmdlineLinks, vlanLinkName } from './config-sources.js';

type LinkInput = SpecInputOf<typeof LinkSpecs> & { name: string };

/** A per-layer LinkSpec with id `<layer>/<link>`. */
function layerLink(layer: ConfigLayer, spec: LinkInput): AnyResource {
  return LinkSpecs.make(
    layeredId(layer, spec.name),
    { ...spec, layer },
    { namespace: networkConfigNamespace },
  );
}

/**
 * `network.LinkConfigController`: LinkSpecs in `network-config` from every layer but `operator`:
 * `lo` and each physical link up (default), `ip=` links and `vlan=` (cmdline), the platform's
 * links, and the configuration's interfaces with their MTU, bonds (and slaves) and VLANs.
 */
export const linkConfigController = defineNetworkConfigController({
  name: 'network.LinkConfigController',
  definition: LinkSpecs,
  sources: ['machineConfig', 'platform', 'links', 'devices'],
  async specs({ cmdline, machineConfig, platform, links, devices }) {
    const ignored = new Set(cmdline.ignoredLinks);
    for (const device of machineConfig?.machine.network.interfaces ?? []) {
      if (device.ignore && device.interface !== undefined) ignored.add(device.interface);
    }
    const specs: AnyResource[] = [layerLink('default', { name: 'lo', up: true, type: 'loopback' })];
    for (const link of physicalLinks(links)) {
      if (!ignored.has(link.metadata.id))
        specs.push(layerLink('default', { name: link.metadata.id, up: true }));
    }
    for (const link of resolveCmdlineLinks(cmdline, links))
      specs.push(layerLink('cmdline', { name: link.name, up: true }));
    for (const vlan of cmdline.vlans) {
      specs.push(layerLink('cmdline', { name: vlan.parent, up: true }));
      specs.push(layerLink('cmdline', vlanSpec(vlan.name, vlan.parent, vlan.vlanId, 0)));
    }
    for (const link of platform?.links ?? [])
      specs.push(layerLink('platform', { name: link.name, up: link.up, mtu: link.mtu }));
    for (const device of devices) specs.push(...deviceLinks(device.device, deviceLink(device)));
    return specs;
  },
});

function vlanSpec(name: string, parent: string, vid: number, mtu: number): LinkInput {
  return {
    name,
    up: true,
    logical: true,
    kind: 'vlan',
    type: 'ether',
    parentName: parent,
    mtu,
    vlan: { vid, protocol: '802.1q' },
  };
}

/** The configuration layer's links of one device: the link itself, its bond slaves and its VLANs. */
function deviceLinks(device: NetworkDevice, name: string): AnyResource[] {
  const out: AnyResource[] = [];
  const link: LinkInput = { name, up: true, mtu: device.mtu ?? 0 };
  if (device.bond !== undefined) {
    const bond = device.bond;
    Object.assign(link, {
      logical: true,
      kind: 'bond',
      type: 'ether',
      bondMaster: {
        mode: bond.mode,
        miimon: bond.miimon ?? 0,
        lacpRate: bond.lacpRate ?? '',
        xmitHashPolicy: bond.xmitHashPolicy ?? '',
      },
    } satisfies Partial<LinkSpecSpec>);
    bond.interfaces.forEach((slave, slaveIndex) => {
      out.push(
        layerLink('configuration', { name: slave, up: true, bondSlave: { masterName: name, slaveIndex } }),
      );
    });
  }
  out.unshift(layerLink('configuration', link));
  for (const vlan of device.vlans) {
    out.push(
      layerLink('configuration', vlanSpec(vlanLinkName(name, vlan.vlanId), name, vlan.vlanId, vlan.mtu ?? 0)),
    );
  }
  return out;
}
